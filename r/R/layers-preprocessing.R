# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Preprocessing layers
#'
#' Preprocessing layers that keras-cpp runs: rescaling, normalization with given statistics, center
#' cropping, resizing, discretization and category encoding (`adapt()` is not available).
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param scale Whether to multiply by the learned scale `gamma` (normalization); the factor inputs
#'   are multiplied by (Rescaling).
#' @param offset The value added after scaling.
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param axis The axis (1-based when positive, as in keras3; negative counts from the end) the
#'   layer works along.
#' @param mean The mean to subtract (a number or one value per feature).
#' @param variance The variance to divide by (a number or one value per feature).
#' @param invert Whether to undo the normalization instead.
#' @param height The output height.
#' @param width The output width.
#' @param data_format `"channels_last"` (the default) or `"channels_first"`.
#' @param interpolation The interpolation method, e.g. `"bilinear"` or `"nearest"`.
#' @param crop_to_aspect_ratio Whether to crop to the output's aspect ratio before resizing.
#' @param pad_to_aspect_ratio Whether to pad to the output's aspect ratio before resizing.
#' @param fill_mode How padding is filled (with `pad_to_aspect_ratio`).
#' @param fill_value The value padding is filled with.
#' @param antialias Whether to use an antialiasing filter when downsampling.
#' @param bin_boundaries The boundaries of the bins, in increasing order.
#' @param num_bins The number of bins (only with `adapt()` in Keras, which keras-cpp lacks: give
#'   `bin_boundaries`).
#' @param epsilon A small number added to the variance to avoid dividing by zero.
#' @param output_mode The kind of output, e.g. `"one_hot"`, `"multi_hot"` or `"count"`
#'   (CategoryEncoding), `"int"` (Discretization).
#' @param sparse Sparse outputs are not supported by keras-cpp; leave `FALSE`.
#' @param dtype The layer's dtype policy name, e.g. `"float32"`.
#' @param name The layer's name.
#' @param num_tokens The number of distinct integer tokens.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_preprocessing
#' @family layers
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_rescaling(scale = 1 / 255)
#' @export
layer_rescaling <- function(object, scale, offset = 0, ...) {
  create_layer("Rescaling", object, capture_args(list()))
}

#' @rdname layers_preprocessing
#' @export
layer_normalization <- function(object, axis = -1L, mean = NULL, variance = NULL, invert = FALSE, ...) {
  create_layer("Normalization", object, capture_args(list(axis = as_axis)))
}

#' @rdname layers_preprocessing
#' @export
layer_center_crop <- function(object, height, width, data_format = NULL, ...) {
  create_layer("CenterCrop", object, capture_args(list(height = as_integer, width = as_integer)))
}

#' @rdname layers_preprocessing
#' @export
layer_resizing <- function(object, height, width, interpolation = "bilinear", crop_to_aspect_ratio = FALSE,
                           pad_to_aspect_ratio = FALSE, fill_mode = "constant", fill_value = 0,
                           data_format = NULL, ..., antialias = FALSE) {
  create_layer("Resizing", object, capture_args(list(height = as_integer, width = as_integer)))
}

#' @rdname layers_preprocessing
#' @export
layer_discretization <- function(object, bin_boundaries = NULL, num_bins = NULL, epsilon = 0.01,
                                 output_mode = "int", sparse = FALSE, dtype = NULL, name = NULL) {
  create_layer("Discretization", object, capture_args(list(bin_boundaries = as_tuple, num_bins = as_integer)))
}

#' @rdname layers_preprocessing
#' @export
layer_category_encoding <- function(object, num_tokens = NULL, output_mode = "multi_hot", sparse = FALSE,
                                    ...) {
  create_layer("CategoryEncoding", object, capture_args(list(num_tokens = as_integer)))
}
