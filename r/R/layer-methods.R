#' Layer and model weights
#'
#' `get_weights()` returns the weights of a layer or model as a list of R
#' arrays (in Keras' order); `set_weights()` replaces them from such a list.
#'
#' @param object A keras layer or model.
#' @param trainable `NA` for all weights, `TRUE` for the trainable ones only,
#'   `FALSE` for the non-trainable ones.
#' @param weights A list of arrays with the shapes of `get_weights(object)`.
#' @returns `get_weights()`: a list of arrays. `set_weights()`: `object`,
#'   invisibly.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
#' w <- get_weights(model)
#' w[[1]][] <- 0
#' set_weights(model, w)
#' @export
get_weights <- function(object, trainable = NA) {
  which <- if (is.na(trainable)) "all" else if (isTRUE(trainable)) "trainable" else "non_trainable"
  unname(cpp_layer_weights(ptr_of(object), which))
}

#' @rdname get_weights
#' @export
set_weights <- function(object, weights) {
  cpp_layer_set_weights(ptr_of(object), as.list(weights))
  invisible(object)
}

#' Count the parameters of a layer or model
#'
#' @param object A built keras layer or model.
#' @returns The number of scalars in its weights.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(5)
#' count_params(model)
#' @export
count_params <- function(object) cpp_layer_count_params(ptr_of(object))

#' Get a model's layer by name or position
#'
#' @param object A keras model.
#' @param name The layer's name.
#' @param index The layer's position in `object$layers` (1-based).
#' @returns A keras layer.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(5, name = "hidden")
#' get_layer(model, "hidden")
#' @export
get_layer <- function(object, name = NULL, index = NULL) {
  ptr <- ptr_of(object)
  if (!is.null(name)) return(new_layer_object(cpp_model_get_layer(ptr, name)))
  if (is.null(index)) stop("Provide either a layer name or layer index", call. = FALSE)
  layers <- cpp_model_layers(ptr)
  index <- as.integer(index)
  if (index < 1L || index > length(layers))
    stop("Was asked to retrieve layer at index ", index, " but model only has ", length(layers), " layers.",
         call. = FALSE)
  new_layer_object(layers[[index]])
}

#' Remove the last layer of a Sequential model
#'
#' @param object A Sequential model.
#' @param rebuild Kept for keras3 compatibility; the model is always rebuilt.
#' @returns `object`, invisibly.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(5) |> layer_dense(2)
#' pop_layer(model)
#' @export
pop_layer <- function(object, rebuild = TRUE) {
  cpp_sequential_pop(ptr_of(object))
  invisible(object)
}

#' A layer's or model's configuration
#'
#' The config Keras writes for the object (what `config.json` holds in a
#' saved model), as nested R lists.
#'
#' @param object A keras layer or model.
#' @returns A named list.
#' @examples
#' get_config(layer_dense(units = 3))$units
#' @export
get_config <- function(object) cpp_layer_config(ptr_of(object))

#' Build a layer or model for an input shape
#'
#' Creates the weights of an unbuilt layer, or of a Sequential model that
#' was made without an input shape.
#'
#' @param object A keras layer or Sequential model.
#' @param input_shape The input shape including the batch dimension (`NA`
#'   for unknown).
#' @returns `object`, invisibly.
#' @examples
#' layer <- layer_dense(units = 2)
#' build(layer, c(NA, 3))
#' length(get_weights(layer))
#' @export
build <- function(object, input_shape) {
  cpp_layer_build(ptr_of(object), normalize_shape(input_shape))
  invisible(object)
}

#' Reset the names keras-cpp generates
#'
#' Keras numbers automatic names per session (`dense`, `dense_1`, ...);
#' this starts the numbering afresh.
#'
#' @param free_memory,seed Kept for keras3 compatibility; `seed` also seeds
#'   the random generator when given.
#' @returns `NULL`, invisibly.
#' @examples
#' clear_session()
#' @export
clear_session <- function(free_memory = TRUE, seed = NULL) {
  cpp_clear_session()
  if (!is.null(seed)) set_random_seed(seed)
  invisible(NULL)
}

#' Random arrays
#'
#' Draws from keras-cpp's random generator, like `keras.random` (values are
#' float32, returned as R arrays).
#'
#' @param shape The array's shape, e.g. `c(10, 3)`.
#' @param minval,maxval The range of the uniform distribution, `[minval, maxval)`.
#' @param mean,stddev The normal distribution's parameters.
#' @param dtype The dtype of the values (`"float32"` by default).
#' @param seed An integer seed for a reproducible draw; by default the
#'   session's generator (see [set_random_seed()]).
#' @returns An R array of `shape`.
#' @examples
#' x <- random_uniform(c(10, 3))
#' dim(x)
#' @export
random_uniform <- function(shape, minval = 0, maxval = 1, dtype = NULL, seed = NULL) {
  cpp_random("uniform", normalize_shape(shape), minval, maxval, as_integer(seed), dtype %||% "float32")
}

#' @rdname random_uniform
#' @export
random_normal <- function(shape, mean = 0, stddev = 1, dtype = NULL, seed = NULL) {
  cpp_random("normal", normalize_shape(shape), mean, stddev, as_integer(seed), dtype %||% "float32")
}

#' @rdname random_uniform
#' @export
random_truncated_normal <- function(shape, mean = 0, stddev = 1, dtype = NULL, seed = NULL) {
  cpp_random("truncated_normal", normalize_shape(shape), mean, stddev, as_integer(seed), dtype %||% "float32")
}

#' Seed the random generator
#'
#' Seeds keras-cpp's generator (used by [random_uniform()] and weight
#' initializers) and R's, as keras3 seeds every generator it knows.
#'
#' @param seed An integer.
#' @returns `NULL`, invisibly.
#' @examples
#' set_random_seed(1)
#' @export
set_random_seed <- function(seed) {
  seed <- as.integer(seed)
  set.seed(seed)
  cpp_set_seed(seed)
  invisible(NULL)
}

# NumPy .npy files (the fixtures' inputs and Keras' outputs).
read_npy <- function(path) cpp_read_npy(path.expand(path))
write_npy <- function(path, x, dtype = NULL) invisible(cpp_write_npy(path.expand(path), x, dtype))
read_json <- function(path) cpp_parse_json(paste(readLines(path, warn = FALSE), collapse = "\n"), path)
