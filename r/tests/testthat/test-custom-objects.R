# A config that names a custom class, made from an R model's config: the
# Dense layer "hidden" becomes "Custom>MyDense", which only an R factory can
# build. (A custom layer computed in R cannot run: keras-cpp runs models in
# C++, so factories build custom layers out of keras-cpp's layers.)
custom_config_file <- function() {
  model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(4, name = "hidden")
  path <- withr::local_tempfile(fileext = ".json", .local_envir = parent.frame())
  save_model_config(model, path)
  text <- paste(readLines(path, warn = FALSE), collapse = "\n")
  text <- sub('"class_name": "Dense", "config": {"name": "hidden"',
              '"class_name": "MyDense", "config": {"name": "hidden"', text, fixed = TRUE)
  text <- sub('"registered_name": null, "build_config"', '"registered_name": "Custom>MyDense", "build_config"',
              text, fixed = TRUE)
  stopifnot(grepl("Custom>MyDense", text, fixed = TRUE))
  writeLines(text, path)
  path
}

my_dense <- function(units, name, ...) layer_dense(units = units, activation = "relu", name = name)

test_that("an unregistered custom class is named in the error (Keras' own fixture)", {
  err <- tryCatch(load_model(fixture_path("custom_layer", "model.keras")), error = identity)
  expect_s3_class(err, "keras_UnknownObjectError")
  expect_match(conditionMessage(err), "Fixtures>ScaledDense", fixed = TRUE)
})

test_that("with_custom_object_scope() resolves a name only while its code runs", {
  path <- custom_config_file()
  expect_error(load_model_config(path), "Custom>MyDense", class = "keras_UnknownObjectError")
  model <- with_custom_object_scope(list(`Custom>MyDense` = my_dense), {
    expect_true(kerascpp:::cpp_has_registered_object("Custom>MyDense"))
    load_model_config(path)
  })
  expect_false(kerascpp:::cpp_has_registered_object("Custom>MyDense"))
  hidden <- get_layer(model, "hidden")
  expect_identical(get_config(hidden)$units, 4L)
  expect_identical(get_config(hidden)$activation, "relu")
  again <- load_model_config(path, custom_objects = list(`Custom>MyDense` = my_dense))
  expect_identical(get_layer(again, "hidden")$name, "hidden")
})

test_that("the factory receives the saved config, and its errors are reported, not crashes", {
  path <- custom_config_file()
  seen <- NULL
  spy <- function(...) {
    seen <<- list(...)
    layer_dense(units = 1)
  }
  load_model_config(path, custom_objects = list(`Custom>MyDense` = spy))
  expect_identical(seen$units, 4L)
  expect_identical(seen$name, "hidden")
  broken <- function(...) stop("cannot build this")
  err <- tryCatch(load_model_config(path, custom_objects = list(`Custom>MyDense` = broken)), error = identity)
  expect_s3_class(err, "keras_error")
  expect_match(conditionMessage(err), "cannot build this", fixed = TRUE)
  not_a_layer <- function(...) 42
  expect_error(load_model_config(path, custom_objects = list(`Custom>MyDense` = not_a_layer)), "not a keras layer")
})

test_that("register_keras_serializable() registers under package>name", {
  path <- custom_config_file()
  # At top level the package part defaults to "Custom" and the name to the object's, as in keras3.
  top <- new.env(parent = globalenv())
  top$MyDense <- my_dense
  evalq(kerascpp::register_keras_serializable(MyDense), top)
  expect_true(kerascpp:::cpp_has_registered_object("Custom>MyDense"))
  model <- load_model_config(path)
  expect_identical(get_config(get_layer(model, "hidden"))$activation, "relu")
  register_keras_serializable(my_dense, name = "ScaledDense", package = "Fixtures")
  expect_true(kerascpp:::cpp_has_registered_object("Fixtures>ScaledDense"))
  expect_error(register_keras_serializable(layer_dense(units = 1)), "must be a function")
})

# Keras' fixture layer, written in R: y = scale * (x %*% kernel).
layer_scaled_dense <- Layer("ScaledDense",
  initialize = function(units, scale, ...) {
    super$initialize(...)
    self$units <- units
    self$scale <- scale
  },
  build = function(input_shape) {
    self$kernel <- self$add_weight(shape = c(input_shape[[length(input_shape)]], self$units), name = "kernel")
  },
  call = function(inputs) self$scale * (inputs %*% self$kernel),
  compute_output_shape = function(input_shape) c(input_shape[-length(input_shape)], list(self$units)),
  get_config = function() {
    config <- super$get_config()
    config$units <- self$units
    config$scale <- self$scale
    config
  }
)

test_that("a custom layer computed in R loads Keras' fixture and predicts Keras' numbers", {
  register_keras_serializable(layer_scaled_dense, package = "Fixtures")
  model <- load_model(fixture_path("custom_layer", "model.keras"))
  layer <- get_layer(model, "scaled")
  expect_identical(dim(get_weights(layer)[[1]]), c(4L, 3L))
  expect_predicts_fixture(model, "custom_layer")
  # Saved from R, the layer keeps Keras' class, registered name and config.
  config <- get_config(load_model(save_model(model)))
  scaled <- Filter(function(l) identical(l$name, "scaled"), config$layers)[[1]]
  expect_identical(scaled$class_name, "ScaledDense")
  expect_identical(scaled$registered_name, "Fixtures>ScaledDense")
  expect_null(scaled$module)
  expect_identical(scaled$config$units, 3L)
  expect_equal(scaled$config$scale, 0.5)
})

test_that("R custom layers build in new models, infer shapes and report their errors", {
  layer_twice <- Layer("Twice", call = function(inputs) cbind(inputs, inputs))
  model <- keras_model_sequential(input_shape = c(3)) |> layer_twice() |> layer_dense(1)
  expect_identical(dim(predict(model, matrix(1, 5, 3))), c(5L, 1L))
  expect_identical(get_config(model)$layers[[2]]$class_name, "Twice")
  # Unregistered, it is saved under its class name, which a scope resolves when loading.
  expect_identical(get_config(model)$layers[[2]]$registered_name, "Twice")
  bytes <- save_model(model)
  expect_error(load_model(bytes), "Twice", class = "keras_UnknownObjectError")
  loaded <- with_custom_object_scope(list(Twice = layer_twice), load_model(bytes))
  expect_equal(predict(loaded, matrix(1:6, 2, 3)), predict(model, matrix(1:6, 2, 3)))
  x <- keras_input(shape = c(3))
  expect_identical(layer_twice(x)$shape[[2]], 6L)
  layer_broken <- Layer("Broken", call = function(inputs) stop("no luck"))
  expect_error(keras_model_sequential(input_shape = c(3)) |> layer_broken(), "no luck", class = "keras_error")
  dense <- layer_scaled_dense(units = 2, scale = 2, name = "sd")
  y <- dense(matrix(1, 1, 3))
  expect_identical(dim(y), c(1L, 2L))
  expect_equal(y, 2 * matrix(1, 1, 3) %*% get_weights(dense)[[1]], tolerance = 1e-6)
})
