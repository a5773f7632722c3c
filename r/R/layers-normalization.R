# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Normalization layers
#'
#' Batch, layer, group, unit (L2) and RMS normalization.
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param axis The axis (1-based when positive, as in keras3; negative counts from the end) the
#'   layer works along.
#' @param momentum The momentum of the moving averages.
#' @param epsilon A small number added to the variance to avoid dividing by zero.
#' @param center Whether to add the learned offset `beta`.
#' @param scale Whether to multiply by the learned scale `gamma` (normalization); the factor inputs
#'   are multiplied by (Rescaling).
#' @param beta_initializer The initializer of `beta`.
#' @param gamma_initializer The initializer of `gamma`.
#' @param moving_mean_initializer The initializer of the moving mean.
#' @param moving_variance_initializer The initializer of the moving variance.
#' @param beta_regularizer A regularizer of `beta`.
#' @param gamma_regularizer A regularizer of `gamma`.
#' @param beta_constraint A constraint on `beta`.
#' @param gamma_constraint A constraint on `gamma`.
#' @param synchronized Synchronized batch statistics across devices (training only).
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param groups The number of groups the input channels are split into (convolution); the number of
#'   groups of GroupNormalization.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_normalization
#' @family layers
#' @examples
#' model <- keras_model_sequential(input_shape = c(4)) |> layer_batch_normalization()
#' @export
layer_batch_normalization <- function(object, axis = -1L, momentum = 0.99, epsilon = 0.001, center = TRUE,
                                      scale = TRUE, beta_initializer = "zeros", gamma_initializer = "ones",
                                      moving_mean_initializer = "zeros", moving_variance_initializer = "ones",
                                      beta_regularizer = NULL, gamma_regularizer = NULL,
                                      beta_constraint = NULL, gamma_constraint = NULL, synchronized = FALSE,
                                      ...) {
  create_layer("BatchNormalization", object, capture_args(list(axis = as_axis)))
}

#' @rdname layers_normalization
#' @export
layer_layer_normalization <- function(object, axis = -1L, epsilon = 0.001, center = TRUE, scale = TRUE,
                                      beta_initializer = "zeros", gamma_initializer = "ones",
                                      beta_regularizer = NULL, gamma_regularizer = NULL,
                                      beta_constraint = NULL, gamma_constraint = NULL, ...) {
  create_layer("LayerNormalization", object, capture_args(list(axis = as_axis)))
}

#' @rdname layers_normalization
#' @export
layer_group_normalization <- function(object, groups = 32L, axis = -1L, epsilon = 0.001, center = TRUE,
                                      scale = TRUE, beta_initializer = "zeros", gamma_initializer = "ones",
                                      beta_regularizer = NULL, gamma_regularizer = NULL,
                                      beta_constraint = NULL, gamma_constraint = NULL, ...) {
  create_layer("GroupNormalization", object, capture_args(list(groups = as_integer, axis = as_axis)))
}

#' @rdname layers_normalization
#' @export
layer_unit_normalization <- function(object, axis = -1L, ...) {
  create_layer("UnitNormalization", object, capture_args(list(axis = as_axis)))
}

#' @rdname layers_normalization
#' @export
layer_rms_normalization <- function(object, axis = -1L, epsilon = 1e-06, ...) {
  create_layer("RMSNormalization", object, capture_args(list(axis = as_axis)))
}
