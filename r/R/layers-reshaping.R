# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Reshaping layers
#'
#' Layers that change the shape of their input: flatten, reshape, permute, repeat, upsample, pad and
#' crop.
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param data_format `"channels_last"` (the default) or `"channels_first"`.
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param target_shape The output shape (without the batch dimension); one entry may be -1.
#' @param dims The permutation of the non-batch axes (1-based, e.g. `c(2, 1)`).
#' @param n How many times to repeat the input.
#' @param size The upsampling factor: one integer, or one per spatial dimension.
#' @param interpolation The interpolation method, e.g. `"bilinear"` or `"nearest"`.
#' @param padding `"valid"` (no padding) or `"same"` (the output keeps the input's size at stride
#'   1); for the zero-padding layers, the padding sizes.
#' @param cropping How much to crop: one integer, a pair per dimension, or one pair for each spatial
#'   dimension.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_reshaping
#' @family layers
#' @examples
#' model <- keras_model_sequential(input_shape = c(2, 3)) |> layer_flatten() |> layer_reshape(c(3,
#' 2))
#' @export
layer_flatten <- function(object, data_format = NULL, ...) {
  create_layer("Flatten", object, capture_args(list()))
}

#' @rdname layers_reshaping
#' @export
layer_reshape <- function(object, target_shape, ...) {
  create_layer("Reshape", object, capture_args(list(target_shape = as_target_shape)))
}

#' @rdname layers_reshaping
#' @export
layer_permute <- function(object, dims, ...) {
  create_layer("Permute", object, capture_args(list(dims = as_integer)))
}

#' @rdname layers_reshaping
#' @export
layer_repeat_vector <- function(object, n, ...) {
  create_layer("RepeatVector", object, capture_args(list(n = as_integer)))
}

#' @rdname layers_reshaping
#' @export
layer_upsampling_1d <- function(object, size = 2L, ...) {
  create_layer("UpSampling1D", object, capture_args(list(size = as_integer_tuple)))
}

#' @rdname layers_reshaping
#' @export
layer_upsampling_2d <- function(object, size = list(2L, 2L), data_format = NULL, interpolation = "nearest",
                                ...) {
  create_layer("UpSampling2D", object, capture_args(list(size = as_integer_tuple)))
}

#' @rdname layers_reshaping
#' @export
layer_upsampling_3d <- function(object, size = list(2L, 2L, 2L), data_format = NULL, ...) {
  create_layer("UpSampling3D", object, capture_args(list(size = as_integer_tuple)))
}

#' @rdname layers_reshaping
#' @export
layer_zero_padding_1d <- function(object, padding = 1L, data_format = NULL, ...) {
  create_layer("ZeroPadding1D", object, capture_args(list(padding = as_padding)))
}

#' @rdname layers_reshaping
#' @export
layer_zero_padding_2d <- function(object, padding = list(1L, 1L), data_format = NULL, ...) {
  create_layer("ZeroPadding2D", object, capture_args(list(padding = as_padding)))
}

#' @rdname layers_reshaping
#' @export
layer_zero_padding_3d <- function(object, padding = list(list(1L, 1L), list(1L, 1L), list(1L, 1L)),
                                  data_format = NULL, ...) {
  create_layer("ZeroPadding3D", object, capture_args(list(padding = as_padding)))
}

#' @rdname layers_reshaping
#' @export
layer_cropping_1d <- function(object, cropping = list(1L, 1L), ...) {
  create_layer("Cropping1D", object, capture_args(list(cropping = as_padding)))
}

#' @rdname layers_reshaping
#' @export
layer_cropping_2d <- function(object, cropping = list(list(0L, 0L), list(0L, 0L)), data_format = NULL, ...) {
  create_layer("Cropping2D", object, capture_args(list(cropping = as_padding)))
}

#' @rdname layers_reshaping
#' @export
layer_cropping_3d <- function(object, cropping = list(list(1L, 1L), list(1L, 1L), list(1L, 1L)),
                              data_format = NULL, ...) {
  create_layer("Cropping3D", object, capture_args(list(cropping = as_padding)))
}
