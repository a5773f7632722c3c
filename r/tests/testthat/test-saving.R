new_model <- function() {
  keras_model_sequential(input_shape = c(3)) |> layer_dense(5) |> layer_activation_softmax()
}

test_that("save_model(NULL path) returns the archive as a raw vector that load_model() reads", {
  model <- new_model()
  bytes <- save_model(model)
  expect_type(bytes, "raw")
  expect_identical(bytes[1:2], as.raw(c(0x50, 0x4b))) # a zip
  loaded <- load_model(bytes)
  x <- random_uniform(c(4, 3))
  expect_identical(predict(loaded, x), predict(model, x))
})

test_that("an existing file is only replaced with overwrite = TRUE (non-interactive: an error, as keras3)", {
  local_tempdir_wd()
  model <- new_model()
  expect_identical(save_model(model, "m.keras"), model)
  before <- readBin("m.keras", "raw", file.size("m.keras"))
  expect_error(save_model(new_model(), "m.keras"),
               "File 'm.keras' already exists (pass overwrite = TRUE to force save).", fixed = TRUE)
  expect_identical(readBin("m.keras", "raw", file.size("m.keras")), before)
  other <- new_model()
  save_model(other, "m.keras", overwrite = TRUE)
  x <- random_uniform(c(2, 3))
  expect_identical(predict(load_model("m.keras"), x), predict(other, x))
  expect_error(save_model_weights(model, "m.keras"), "already exists")
  expect_error(save_model_config(model, "m.keras"), "already exists")
})

test_that("zipped = FALSE writes a model directory that loads", {
  local_tempdir_wd()
  model <- new_model()
  save_model(model, "model_dir", zipped = FALSE)
  expect_true(dir.exists("model_dir"))
  expect_true(all(c("metadata.json", "config.json", "model.weights.h5") %in% list.files("model_dir")))
  x <- random_uniform(c(2, 3))
  expect_identical(predict(load_model("model_dir"), x), predict(model, x))
  expect_error(save_model(model, "d.keras", zipped = FALSE), class = "keras_ValueError")
})

test_that("weights and configs save and load on their own", {
  local_tempdir_wd()
  model <- new_model()
  save_model_weights(model, "m.weights.h5")
  fresh <- new_model()
  load_model_weights(fresh, "m.weights.h5")
  expect_identical(get_weights(fresh), get_weights(model))
  expect_error(save_model_weights(model, "m.h5"), class = "keras_ValueError")

  save_model_config(model, "m.json")
  rebuilt <- load_model_config("m.json")
  expect_identical(get_config(rebuilt)$layers[[2]]$config$units, 5L)
  expect_false(identical(get_weights(rebuilt), get_weights(model)))
  expect_identical(rebuilt$name, model$name)
})

test_that("compile() is recorded in the saved model, optimizer and all", {
  local_tempdir_wd()
  model <- new_model()
  compile(model, optimizer = optimizer_adam(learning_rate = 0.01), loss = "categorical_crossentropy",
          metrics = "accuracy")
  config <- kerascpp:::cpp_compile_config(kerascpp:::ptr_of(model))
  expect_identical(config$loss, "categorical_crossentropy")
  expect_identical(config$metrics, list("accuracy"))
  expect_identical(config$optimizer$class_name, "Adam")
  expect_equal(config$optimizer$config$learning_rate, 0.01, tolerance = 1e-7)
  save_model(model, "compiled.keras")
  loaded <- load_model("compiled.keras")
  expect_identical(kerascpp:::cpp_compile_config(kerascpp:::ptr_of(loaded)), config)
  uncompiled <- load_model("compiled.keras", compile = FALSE)
  expect_identical(kerascpp:::cpp_compile_config(kerascpp:::ptr_of(uncompiled)), setNames(list(), character()))
  model |> compile(optimizer = "sgd", loss = "mse")
  expect_identical(kerascpp:::cpp_compile_config(kerascpp:::ptr_of(model))$optimizer$class_name, "SGD")
  expect_error(compile(model, loss = "no_such_loss"), class = "keras_error")
})

test_that("optimizers take Keras' defaults and the arguments given", {
  sgd <- kerascpp:::cpp_optimizer_config(optimizer_sgd())
  expect_identical(sgd$class_name, "SGD")
  expect_equal(sgd$config$learning_rate, 0.01, tolerance = 1e-7)
  adam <- kerascpp:::cpp_optimizer_config(optimizer_adam(beta_1 = 0.8, amsgrad = TRUE))
  expect_equal(adam$config$beta_1, 0.8)
  expect_true(adam$config$amsgrad)
  for (make in list(optimizer_adam_w, optimizer_rmsprop, optimizer_adagrad, optimizer_nadam, optimizer_adamax,
                    optimizer_adadelta, optimizer_lion, optimizer_ftrl))
    expect_s3_class(make(), "kerascpp_optimizer")
  expect_output(print(optimizer_adam()), "<Adam name=adam", fixed = TRUE)
})
