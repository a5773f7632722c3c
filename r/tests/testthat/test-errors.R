test_that("keras-cpp's errors reach R with its message and typed classes", {
  err <- tryCatch(load_model(file.path(tempdir(), "absent.keras")), error = identity)
  expect_s3_class(err, "keras_FileNotFoundError")
  expect_s3_class(err, "keras_error")
  expect_match(conditionMessage(err), "absent.keras", fixed = TRUE)

  model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
  err <- tryCatch(save_model(model, file.path(tempdir(), "model.txt")), error = identity)
  expect_s3_class(err, "keras_ValueError")
  expect_match(conditionMessage(err), "Invalid filepath extension for saving")

  err <- tryCatch(predict(model, matrix(0, 2, 4)), error = identity)
  expect_s3_class(err, "keras_error")
  expect_match(conditionMessage(err), "3")

  not_a_zip <- tempfile(fileext = ".keras")
  writeLines("hello", not_a_zip)
  expect_error(load_model(not_a_zip), class = "keras_FormatError")
  expect_error(load_model(as.raw(1:10)), class = "keras_FormatError")
  expect_error(layer_dense(units = 2, activation = "no_such_activation"), class = "keras_UnknownObjectError")
  expect_error(keras_input(shape = c(2), dtype = "complex128"), class = "keras_ValueError")
})

test_that("an error leaves the session usable", {
  for (i in 1:3) expect_error(load_model(as.raw(0)), class = "keras_error")
  model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
  expect_identical(dim(predict(model, matrix(0, 1, 3))), c(1L, 2L))
})
