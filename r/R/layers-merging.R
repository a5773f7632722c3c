# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Merging layers
#'
#' Layers that combine a list of tensors elementwise, by concatenation or by a dot product. Pass the
#' tensors as a list (`inputs`) or as further unnamed arguments; without tensors the layer itself is
#' returned.
#'
#' @param inputs A symbolic tensor or a list of them to call the layer on; missing or `NULL`: the
#'   layer itself is returned.
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param axis The axis (1-based when positive, as in keras3; negative counts from the end) the
#'   layer works along.
#' @param axes The axis, or pair of axes, of the dot product (1-based when positive, as in keras3).
#' @param normalize Whether to L2-normalize the samples along the dot axes first (cosine proximity).
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_merging
#' @family layers
#' @examples
#' a <- keras_input(shape = c(3))
#' b <- keras_input(shape = c(3))
#' y <- layer_add(list(a, b))
#' z <- layer_concatenate(a, b)
#' @export
layer_add <- function(inputs, ...) {
  merge_layer("Add", if (missing(inputs)) NULL else inputs,
               capture_args(list(), ignore = c("inputs", "...")), ...)
}

#' @rdname layers_merging
#' @export
layer_subtract <- function(inputs, ...) {
  merge_layer("Subtract", if (missing(inputs)) NULL else inputs,
               capture_args(list(), ignore = c("inputs", "...")), ...)
}

#' @rdname layers_merging
#' @export
layer_multiply <- function(inputs, ...) {
  merge_layer("Multiply", if (missing(inputs)) NULL else inputs,
               capture_args(list(), ignore = c("inputs", "...")), ...)
}

#' @rdname layers_merging
#' @export
layer_average <- function(inputs, ...) {
  merge_layer("Average", if (missing(inputs)) NULL else inputs,
               capture_args(list(), ignore = c("inputs", "...")), ...)
}

#' @rdname layers_merging
#' @export
layer_maximum <- function(inputs, ...) {
  merge_layer("Maximum", if (missing(inputs)) NULL else inputs,
               capture_args(list(), ignore = c("inputs", "...")), ...)
}

#' @rdname layers_merging
#' @export
layer_minimum <- function(inputs, ...) {
  merge_layer("Minimum", if (missing(inputs)) NULL else inputs,
               capture_args(list(), ignore = c("inputs", "...")), ...)
}

#' @rdname layers_merging
#' @export
layer_concatenate <- function(inputs, ..., axis = -1L) {
  merge_layer("Concatenate", if (missing(inputs)) NULL else inputs,
               capture_args(list(axis = as_axis), ignore = c("inputs", "...")), ...)
}

#' @rdname layers_merging
#' @export
layer_dot <- function(inputs, ..., axes, normalize = FALSE) {
  merge_layer("Dot", if (missing(inputs)) NULL else inputs,
               capture_args(list(axes = as_axis), ignore = c("inputs", "...")), ...)
}
