# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Core layers
#'
#' The core layers of Keras: `Dense` (a fully connected layer), `EinsumDense`, `Embedding`,
#' `Identity`, `Masking` and `Activation`.
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param units The number of output units.
#' @param activation The activation function's name (e.g. `"relu"`, `"softmax"`); `NULL` for none
#'   (linear).
#' @param use_bias Whether the layer adds a bias vector.
#' @param kernel_initializer The initializer of the kernel weights (a name such as
#'   `"glorot_uniform"`).
#' @param bias_initializer The initializer of the bias vector.
#' @param kernel_regularizer A regularizer of the kernel weights (a name or config list), recorded
#'   for training.
#' @param bias_regularizer A regularizer of the bias vector.
#' @param activity_regularizer A regularizer of the layer's output.
#' @param kernel_constraint A constraint on the kernel weights (a name or config list).
#' @param bias_constraint A constraint on the bias vector.
#' @param lora_rank The rank of a LoRA update (Keras' `lora_rank`): once built, the kernel is frozen
#'   and two trainable low-rank matrices add `(lora_alpha / lora_rank) * (a %*% b)` to it; `NULL` for none.
#' @param lora_alpha The numerator of the LoRA scale (`NULL`: `lora_rank`).
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param equation The einsum equation of the layer, e.g. `"ab,bc->ac"`.
#' @param output_shape The expected output shape (without the batch dimension), `NA`/`NULL` for
#'   unknown entries.
#' @param bias_axes The letters of the output axes that have a bias, e.g. `"c"`.
#' @param input_dim The size of the vocabulary (largest index + 1).
#' @param output_dim The size of each embedding vector.
#' @param embeddings_initializer The initializer of the embedding matrix.
#' @param embeddings_regularizer A regularizer of the embedding matrix.
#' @param embeddings_constraint A constraint on the embedding matrix.
#' @param mask_zero Whether index 0 is padding, masked in later layers.
#' @param weights Initial weights are not accepted here: build the layer, then call [set_weights()].
#' @param mask_value Time steps whose features all equal this value are masked.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_core
#' @family layers
#' @examples
#' model <- keras_model_sequential(input_shape = c(4)) |>
#'   layer_dense(8, activation = "relu") |>
#'   layer_dense(2)
#' @export
layer_dense <- function(object, units, activation = NULL, use_bias = TRUE,
                        kernel_initializer = "glorot_uniform", bias_initializer = "zeros",
                        kernel_regularizer = NULL, bias_regularizer = NULL, activity_regularizer = NULL,
                        kernel_constraint = NULL, bias_constraint = NULL, lora_rank = NULL, lora_alpha = NULL,
                        ...) {
  create_layer("Dense", object,
               capture_args(list(units = as_integer, lora_rank = as_integer, lora_alpha = as_integer)))
}

#' @rdname layers_core
#' @export
layer_einsum_dense <- function(object, equation, output_shape, activation = NULL, bias_axes = NULL,
                               kernel_initializer = "glorot_uniform", bias_initializer = "zeros",
                               kernel_regularizer = NULL, bias_regularizer = NULL, kernel_constraint = NULL,
                               bias_constraint = NULL, lora_rank = NULL, lora_alpha = NULL, ...) {
  create_layer("EinsumDense", object,
               capture_args(list(output_shape = normalize_shape, lora_rank = as_integer,
                                 lora_alpha = as_integer)))
}

#' @rdname layers_core
#' @export
layer_embedding <- function(object, input_dim, output_dim, embeddings_initializer = "uniform",
                            embeddings_regularizer = NULL, embeddings_constraint = NULL, mask_zero = FALSE,
                            weights = NULL, lora_rank = NULL, lora_alpha = NULL, ...) {
  create_layer("Embedding", object,
               capture_args(list(input_dim = as_integer, output_dim = as_integer, lora_rank = as_integer,
                                 lora_alpha = as_integer)))
}

#' @rdname layers_core
#' @export
layer_identity <- function(object, ...) {
  create_layer("Identity", object, capture_args(list()))
}

#' @rdname layers_core
#' @export
layer_masking <- function(object, mask_value = 0, ...) {
  create_layer("Masking", object, capture_args(list()))
}

#' @rdname layers_core
#' @export
layer_activation <- function(object, activation, ...) {
  create_layer("Activation", object, capture_args(list()))
}
