# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Regularization layers
#'
#' Dropout and noise layers (identities at inference, which is what keras-cpp runs) and activity
#' regularization.
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param rate The fraction of inputs to drop (training only).
#' @param noise_shape The shape of the dropout mask, broadcast over the input.
#' @param seed An integer seed for the layer's randomness.
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param stddev The standard deviation of the noise (training only).
#' @param name The layer's name.
#' @param dtype The layer's dtype policy name, e.g. `"float32"`.
#' @param data_format `"channels_last"` (the default) or `"channels_first"`.
#' @param l1 The L1 regularization factor of the activity.
#' @param l2 The L2 regularization factor of the activity.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_regularization
#' @family layers
#' @examples
#' model <- keras_model_sequential(input_shape = c(4)) |> layer_dense(4) |> layer_dropout(rate =
#' 0.5)
#' @export
layer_dropout <- function(object, rate, noise_shape = NULL, seed = NULL, ...) {
  create_layer("Dropout", object, capture_args(list(noise_shape = normalize_shape, seed = as_integer)))
}

#' @rdname layers_regularization
#' @export
layer_alpha_dropout <- function(object, rate, noise_shape = NULL, seed = NULL, ...) {
  create_layer("AlphaDropout", object, capture_args(list(noise_shape = normalize_shape, seed = as_integer)))
}

#' @rdname layers_regularization
#' @export
layer_gaussian_dropout <- function(object, rate, seed = NULL, ...) {
  create_layer("GaussianDropout", object, capture_args(list(seed = as_integer)))
}

#' @rdname layers_regularization
#' @export
layer_gaussian_noise <- function(object, stddev, seed = NULL, ...) {
  create_layer("GaussianNoise", object, capture_args(list(seed = as_integer)))
}

#' @rdname layers_regularization
#' @export
layer_spatial_dropout_1d <- function(object, rate, seed = NULL, name = NULL, dtype = NULL) {
  create_layer("SpatialDropout1D", object, capture_args(list(seed = as_integer)))
}

#' @rdname layers_regularization
#' @export
layer_spatial_dropout_2d <- function(object, rate, data_format = NULL, seed = NULL, name = NULL,
                                     dtype = NULL) {
  create_layer("SpatialDropout2D", object, capture_args(list(seed = as_integer)))
}

#' @rdname layers_regularization
#' @export
layer_spatial_dropout_3d <- function(object, rate, data_format = NULL, seed = NULL, name = NULL,
                                     dtype = NULL) {
  create_layer("SpatialDropout3D", object, capture_args(list(seed = as_integer)))
}

#' @rdname layers_regularization
#' @export
layer_activity_regularization <- function(object, l1 = 0, l2 = 0, ...) {
  create_layer("ActivityRegularization", object, capture_args(list()))
}
