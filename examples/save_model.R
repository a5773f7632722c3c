# The seed example of keras3's save_model() reference page, run by the kerascpp
# package on keras-cpp (no Python). `make demo` installs the package and runs this
# in a fresh build/r-demo; it writes model.keras into the working directory (a second run
# there stops, as keras3 does, because the file exists).
library(kerascpp)

model <- keras_model_sequential(input_shape = c(3)) |>
  layer_dense(5) |>
  layer_activation_softmax()

model |> save_model("model.keras")
loaded_model <- load_model("model.keras")

x <- random_uniform(c(10, 3))
stopifnot(all.equal(
  model |> predict(x),
  loaded_model |> predict(x)
))
cat("predict(model, x) and predict(loaded_model, x) are equal\n\n")

print(model)

print(zip::zip_list("model.keras")[, "filename"])

# For checking the file with Python Keras: the input and R's predictions, as float32 .npy files.
kerascpp:::write_npy("x.npy", x)
kerascpp:::write_npy("y.npy", predict(model, x))
cat("\nwrote model.keras, x.npy, y.npy in", getwd(), "\n")
