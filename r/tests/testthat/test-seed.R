test_that("the seed example of save_model()'s reference page runs verbatim", {
  local_tempdir_wd()
  # From here to the zip_list() line: the example of keras3's save_model() page, as written.
  model <- keras_model_sequential(input_shape = c(3)) |>
    layer_dense(5) |>
    layer_activation_softmax()
  model |> save_model("model.keras")
  loaded_model <- load_model("model.keras")
  x <- random_uniform(c(10, 3))
  stopifnot(all.equal(model |> predict(x), loaded_model |> predict(x)))
  members <- zip::zip_list("model.keras")[, "filename"]

  expect_identical(members, c("metadata.json", "config.json", "model.weights.h5"))
  expect_identical(dim(x), c(10L, 3L))
  y <- predict(model, x)
  expect_identical(dim(y), c(10L, 5L))
  expect_equal(rowSums(y), rep(1, 10), tolerance = 1e-6)
  expect_identical(get_weights(loaded_model), get_weights(model))
})

test_that("the seed fixture written by Keras predicts Keras' numbers", {
  model <- load_model(fixture_path("seed_dense_softmax", "model.keras"))
  expect_s3_class(model, "keras.src.models.sequential.Sequential")
  expect_predicts_fixture(model, "seed_dense_softmax")
})

test_that("the seed model built in R has the config Keras wrote for it", {
  keras_config <- get_config(load_model(fixture_path("seed_dense_softmax", "model.keras")))
  clear_session()
  model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(5) |> layer_activation_softmax()
  expect_identical(get_config(model), keras_config)
})
