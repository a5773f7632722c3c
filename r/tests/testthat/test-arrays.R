test_that("a 3-d R array round-trips through a tensor unchanged", {
  x <- array(seq_len(2 * 3 * 4) + 0.5, dim = c(2, 3, 4))
  inputs <- keras_input(shape = c(3, 4))
  model <- keras_model(inputs, layer_identity(inputs))
  y <- predict(model, x)
  expect_identical(dim(y), c(2L, 3L, 4L))
  expect_identical(y, x)
})

test_that("R indexing is Keras indexing: x[i, j, k] is x[i-1][j-1][k-1] (row-major)", {
  x <- array(as.numeric(seq_len(2 * 3 * 4)), dim = c(2, 3, 4))
  inputs <- keras_input(shape = c(3, 4))
  flat <- predict(keras_model(inputs, layer_flatten(inputs)), x)
  expect_identical(dim(flat), c(2L, 12L))
  for (i in 1:2) for (j in 1:3) for (k in 1:4) expect_identical(flat[i, (j - 1) * 4 + k], x[i, j, k])
  # A 4-d .npy file written by numpy reads with the same indexing.
  path <- tempfile(fileext = ".npy")
  kerascpp:::write_npy(path, x)
  expect_identical(kerascpp:::read_npy(path), x)
  x0 <- fixture_inputs("conv2d")[[1L]]
  expect_length(dim(x0), 4L)
})

test_that("integer and logical arrays convert, with their dtypes", {
  ints <- matrix(1:6, 2, 3)
  inputs <- keras_input(shape = c(3), dtype = "int32")
  model <- keras_model(inputs, layer_identity(inputs))
  y <- predict(model, ints)
  expect_type(y, "integer")
  expect_identical(y, ints)
  flags <- matrix(c(TRUE, FALSE, TRUE, TRUE), 2, 2)
  b <- keras_input(shape = c(2), dtype = "bool")
  expect_identical(predict(keras_model(b, layer_identity(b)), flags), flags)
  # Doubles into a float32 input are rounded to float32.
  f <- keras_input(shape = c(1))
  expect_equal(predict(keras_model(f, layer_identity(f)), matrix(1 / 3)), matrix(1 / 3), tolerance = 1e-7)
})

test_that("NA cannot go into an integer input", {
  inputs <- keras_input(shape = c(2), dtype = "int32")
  model <- keras_model(inputs, layer_identity(inputs))
  expect_error(predict(model, matrix(c(1L, NA), 1, 2)), class = "keras_ValueError")
})

test_that("random_uniform() draws float32 values in [minval, maxval) of the given shape", {
  x <- random_uniform(c(100, 3), minval = -2, maxval = 5)
  expect_identical(dim(x), c(100L, 3L))
  expect_true(all(x >= -2 & x < 5))
  expect_identical(random_uniform(c(4, 2), seed = 7L), random_uniform(c(4, 2), seed = 7L))
  expect_false(identical(random_uniform(c(4, 2)), random_uniform(c(4, 2))))
  expect_identical(dim(random_normal(c(2, 3, 4))), c(2L, 3L, 4L))
})
