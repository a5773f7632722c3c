# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Activation layers
#'
#' Layers that apply an activation function: ELU, LeakyReLU, PReLU (with learned slopes), ReLU and
#' Softmax.
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param alpha The scale of the negative part (ELU).
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param negative_slope The slope for negative inputs.
#' @param alpha_initializer The initializer of PReLU's learned slopes.
#' @param alpha_regularizer A regularizer of the learned slopes.
#' @param alpha_constraint A constraint on the learned slopes.
#' @param shared_axes The axes (1-based as in keras3) along which the learned slopes are shared.
#' @param max_value An upper bound of the output; `NULL` for none.
#' @param threshold Inputs below it are treated as negative.
#' @param axis The axis (1-based when positive, as in keras3; negative counts from the end) the
#'   layer works along.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_activations
#' @family layers
#' @examples
#' x <- keras_input(shape = c(4))
#' y <- x |> layer_activation_leaky_relu(negative_slope = 0.1)
#' @export
layer_activation_elu <- function(object, alpha = 1, ...) {
  create_layer("ELU", object, capture_args(list()))
}

#' @rdname layers_activations
#' @export
layer_activation_leaky_relu <- function(object, negative_slope = 0.3, ...) {
  create_layer("LeakyReLU", object, capture_args(list()))
}

#' @rdname layers_activations
#' @export
layer_activation_parametric_relu <- function(object, alpha_initializer = "Zeros", alpha_regularizer = NULL,
                                             alpha_constraint = NULL, shared_axes = NULL, ...) {
  create_layer("PReLU", object, capture_args(list(shared_axes = as_axis)))
}

#' @rdname layers_activations
#' @export
layer_activation_relu <- function(object, max_value = NULL, negative_slope = 0, threshold = 0, ...) {
  create_layer("ReLU", object, capture_args(list()))
}

#' @rdname layers_activations
#' @export
layer_activation_softmax <- function(object, axis = -1L, ...) {
  create_layer("Softmax", object, capture_args(list(axis = as_axis)))
}
