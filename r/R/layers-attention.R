# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Attention layers
#'
#' Dot-product (`Attention`), additive (`AdditiveAttention`), multi-head and grouped-query
#' attention. `object`/`inputs` is a list `list(query, value)` or `list(query, value, key)`.
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param use_scale Whether to learn a scalar that scales the attention scores.
#' @param score_mode How attention scores are computed: `"dot"` or `"concat"`.
#' @param dropout The dropout rate (kept in the config; inference does not drop).
#' @param seed An integer seed for the layer's randomness.
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param inputs A symbolic tensor or a list of them to call the layer on; missing or `NULL`: the
#'   layer itself is returned.
#' @param num_heads The number of attention heads.
#' @param key_dim The size of each attention head for query and key.
#' @param value_dim The size of each attention head for value; `NULL`: `key_dim`.
#' @param use_bias Whether the layer adds a bias vector.
#' @param output_shape The expected output shape (without the batch dimension), `NA`/`NULL` for
#'   unknown entries.
#' @param attention_axes The axes attention is applied over; `NULL`: every axis but batch, heads and
#'   features.
#' @param flash_attention Flash attention (a backend option); leave `NULL`.
#' @param kernel_initializer The initializer of the kernel weights (a name such as
#'   `"glorot_uniform"`).
#' @param bias_initializer The initializer of the bias vector.
#' @param kernel_regularizer A regularizer of the kernel weights (a name or config list), recorded
#'   for training.
#' @param bias_regularizer A regularizer of the bias vector.
#' @param activity_regularizer A regularizer of the layer's output.
#' @param kernel_constraint A constraint on the kernel weights (a name or config list).
#' @param bias_constraint A constraint on the bias vector.
#' @param head_dim The size of each attention head.
#' @param num_query_heads The number of query heads.
#' @param num_key_value_heads The number of key and value heads (each shared by a group of query
#'   heads).
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_attention
#' @family layers
#' @examples
#' q <- keras_input(shape = c(5, 8))
#' v <- keras_input(shape = c(7, 8))
#' y <- layer_multi_head_attention(list(q, v), num_heads = 2, key_dim = 4)
#' @export
layer_attention <- function(object, use_scale = FALSE, score_mode = "dot", dropout = 0, seed = NULL, ...) {
  create_layer("Attention", object, capture_args(list(seed = as_integer)))
}

#' @rdname layers_attention
#' @export
layer_additive_attention <- function(object, use_scale = TRUE, dropout = 0, ...) {
  create_layer("AdditiveAttention", object, capture_args(list()))
}

#' @rdname layers_attention
#' @export
layer_multi_head_attention <- function(inputs, num_heads, key_dim, value_dim = NULL, dropout = 0,
                                       use_bias = TRUE, output_shape = NULL, attention_axes = NULL,
                                       flash_attention = NULL, kernel_initializer = "glorot_uniform",
                                       bias_initializer = "zeros", kernel_regularizer = NULL,
                                       bias_regularizer = NULL, activity_regularizer = NULL,
                                       kernel_constraint = NULL, bias_constraint = NULL, seed = NULL, ...) {
  attention_layer("MultiHeadAttention", if (missing(inputs)) NULL else inputs,
               capture_args(list(num_heads = as_integer, key_dim = as_integer, value_dim = as_integer,
                                 output_shape = normalize_shape, attention_axes = as_integer,
                                 seed = as_integer), ignore = "inputs"))
}

#' @rdname layers_attention
#' @export
layer_group_query_attention <- function(object, head_dim, num_query_heads, num_key_value_heads, dropout = 0,
                                        use_bias = TRUE, flash_attention = NULL,
                                        kernel_initializer = "glorot_uniform", bias_initializer = "zeros",
                                        kernel_regularizer = NULL, bias_regularizer = NULL,
                                        activity_regularizer = NULL, kernel_constraint = NULL,
                                        bias_constraint = NULL, seed = NULL, ...) {
  attention_layer("GroupQueryAttention", if (missing(object)) NULL else object,
               capture_args(list(head_dim = as_integer, num_query_heads = as_integer,
                                 num_key_value_heads = as_integer, seed = as_integer)))
}
