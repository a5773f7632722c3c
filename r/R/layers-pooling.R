# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Pooling layers
#'
#' Max and average pooling over windows, and global pooling over all spatial positions.
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param pool_size The size of the pooling window: one integer, or one per spatial dimension.
#' @param strides The strides of the window: one integer, or one per spatial dimension.
#' @param padding `"valid"` (no padding) or `"same"` (the output keeps the input's size at stride
#'   1); for the zero-padding layers, the padding sizes.
#' @param data_format `"channels_last"` (the default) or `"channels_first"`.
#' @param name The layer's name.
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param keepdims Whether to keep the pooled spatial dimensions with size 1.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_pooling
#' @family layers
#' @examples
#' model <- keras_model_sequential(input_shape = c(8, 8, 3)) |>
#'   layer_max_pooling_2d(pool_size = c(2, 2)) |>
#'   layer_global_average_pooling_2d()
#' @export
layer_max_pooling_1d <- function(object, pool_size = 2L, strides = NULL, padding = "valid",
                                 data_format = NULL, name = NULL, ...) {
  create_layer("MaxPooling1D", object,
               capture_args(list(pool_size = as_integer_tuple, strides = as_integer_tuple)))
}

#' @rdname layers_pooling
#' @export
layer_max_pooling_2d <- function(object, pool_size = list(2L, 2L), strides = NULL, padding = "valid",
                                 data_format = NULL, name = NULL, ...) {
  create_layer("MaxPooling2D", object,
               capture_args(list(pool_size = as_integer_tuple, strides = as_integer_tuple)))
}

#' @rdname layers_pooling
#' @export
layer_max_pooling_3d <- function(object, pool_size = list(2L, 2L, 2L), strides = NULL, padding = "valid",
                                 data_format = NULL, name = NULL, ...) {
  create_layer("MaxPooling3D", object,
               capture_args(list(pool_size = as_integer_tuple, strides = as_integer_tuple)))
}

#' @rdname layers_pooling
#' @export
layer_average_pooling_1d <- function(object, pool_size, strides = NULL, padding = "valid", data_format = NULL,
                                     name = NULL, ...) {
  create_layer("AveragePooling1D", object,
               capture_args(list(pool_size = as_integer_tuple, strides = as_integer_tuple)))
}

#' @rdname layers_pooling
#' @export
layer_average_pooling_2d <- function(object, pool_size, strides = NULL, padding = "valid", data_format = NULL,
                                     name = NULL, ...) {
  create_layer("AveragePooling2D", object,
               capture_args(list(pool_size = as_integer_tuple, strides = as_integer_tuple)))
}

#' @rdname layers_pooling
#' @export
layer_average_pooling_3d <- function(object, pool_size, strides = NULL, padding = "valid", data_format = NULL,
                                     name = NULL, ...) {
  create_layer("AveragePooling3D", object,
               capture_args(list(pool_size = as_integer_tuple, strides = as_integer_tuple)))
}

#' @rdname layers_pooling
#' @export
layer_global_max_pooling_1d <- function(object, data_format = NULL, keepdims = FALSE, ...) {
  create_layer("GlobalMaxPooling1D", object, capture_args(list()))
}

#' @rdname layers_pooling
#' @export
layer_global_max_pooling_2d <- function(object, data_format = NULL, keepdims = FALSE, ...) {
  create_layer("GlobalMaxPooling2D", object, capture_args(list()))
}

#' @rdname layers_pooling
#' @export
layer_global_max_pooling_3d <- function(object, data_format = NULL, keepdims = FALSE, ...) {
  create_layer("GlobalMaxPooling3D", object, capture_args(list()))
}

#' @rdname layers_pooling
#' @export
layer_global_average_pooling_1d <- function(object, data_format = NULL, keepdims = FALSE, ...) {
  create_layer("GlobalAveragePooling1D", object, capture_args(list()))
}

#' @rdname layers_pooling
#' @export
layer_global_average_pooling_2d <- function(object, data_format = NULL, keepdims = FALSE, ...) {
  create_layer("GlobalAveragePooling2D", object, capture_args(list()))
}

#' @rdname layers_pooling
#' @export
layer_global_average_pooling_3d <- function(object, data_format = NULL, keepdims = FALSE, ...) {
  create_layer("GlobalAveragePooling3D", object, capture_args(list()))
}
