for (case in c("seed_dense_softmax", "multi_io", "embedding", "conv2d", "dict_io")) {
  test_that(paste("Keras' fixture", case, "loads and predicts Keras' outputs"), {
    model <- load_model(fixture_path(case, "model.keras"))
    expect_true(is_model <- inherits(model, "keras.src.models.model.Model"))
    expect_predicts_fixture(model, case)
    # The same archive as a raw vector.
    bytes <- readBin(fixture_path(case, "model.keras"), "raw", file.size(fixture_path(case, "model.keras")))
    expect_predicts_fixture(load_model(bytes), case)
  })
}

test_that("integer ids and whole doubles both feed an int32 Embedding input", {
  model <- load_model(fixture_path("embedding", "model.keras"))
  ids <- fixture_inputs("embedding")[[1L]]
  expect_type(ids, "integer")
  expected <- fixture_outputs("embedding")[[1L]]
  info <- fixture_case("embedding")
  expect_close(predict(model, ids), expected, info$atol, info$rtol)
  storage.mode(ids) <- "double"
  expect_close(predict(model, ids), expected, info$atol, info$rtol)
})

test_that("dict models take named inputs in any order and return named outputs", {
  model <- load_model(fixture_path("dict_io", "model.keras"))
  x <- fixture_inputs("dict_io")
  names(x) <- model$input_names
  y <- predict(model, rev(x))
  expect_named(y, model$output_names)
  info <- fixture_case("dict_io")
  expected <- fixture_outputs("dict_io")
  for (i in seq_along(expected)) expect_close(y[[i]], expected[[i]], info$atol, info$rtol)
})

test_that("a model re-saved from R predicts the same and keeps its config", {
  model <- load_model(fixture_path("multi_io", "model.keras"))
  local_tempdir_wd()
  save_model(model, "resaved.keras")
  again <- load_model("resaved.keras")
  expect_predicts_fixture(again, "multi_io")
  expect_identical(get_config(again), get_config(model))
})
