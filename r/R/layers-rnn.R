# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Recurrent layers
#'
#' Recurrent layers (SimpleRNN, LSTM, GRU, the generic RNN around a cell, ConvLSTM) and the
#' Bidirectional and TimeDistributed wrappers. keras-cpp runs them for inference: dropout is
#' recorded but not applied, and stateful RNNs are not supported. With `return_state = TRUE` a call
#' returns a list of the output and the states.
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
#' @param recurrent_initializer The initializer of the recurrent kernel.
#' @param bias_initializer The initializer of the bias vector.
#' @param kernel_regularizer A regularizer of the kernel weights (a name or config list), recorded
#'   for training.
#' @param recurrent_regularizer A regularizer of the recurrent kernel.
#' @param bias_regularizer A regularizer of the bias vector.
#' @param activity_regularizer A regularizer of the layer's output.
#' @param kernel_constraint A constraint on the kernel weights (a name or config list).
#' @param recurrent_constraint A constraint on the recurrent kernel.
#' @param bias_constraint A constraint on the bias vector.
#' @param dropout The dropout rate (kept in the config; inference does not drop).
#' @param recurrent_dropout The dropout rate of the recurrent state (kept in the config; inference
#'   does not drop).
#' @param return_sequences Whether to return the output of every time step, or only the last.
#' @param return_state Whether to also return the final states.
#' @param go_backwards Whether to process the sequence backwards.
#' @param stateful Stateful RNNs are not supported by keras-cpp; leave `FALSE`.
#' @param unroll Whether to unroll the loop (no effect on the results).
#' @param seed An integer seed for the layer's randomness.
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param recurrent_activation The activation of the recurrent gates.
#' @param unit_forget_bias Whether the forget gate's bias starts at 1.
#' @param use_cudnn A backend option without effect here.
#' @param reset_after Whether the GRU applies the reset gate after the matrix product (Keras'
#'   default).
#' @param cell A cell made with `rnn_cell_simple()`, `rnn_cell_lstm()` or `rnn_cell_gru()`.
#' @param zero_output_for_mask Whether masked steps output zeros instead of the previous output.
#' @param filters The number of output channels.
#' @param kernel_size The size of the convolution window: one integer, or one per spatial dimension.
#' @param strides The strides of the window: one integer, or one per spatial dimension.
#' @param padding `"valid"` (no padding) or `"same"` (the output keeps the input's size at stride
#'   1); for the zero-padding layers, the padding sizes.
#' @param data_format `"channels_last"` (the default) or `"channels_first"`.
#' @param dilation_rate The dilation rate of the window: one integer, or one per spatial dimension.
#' @param layer The recurrent (Bidirectional) or any (TimeDistributed) layer to wrap.
#' @param merge_mode How forward and backward outputs combine: `"concat"`, `"sum"`, `"mul"`,
#'   `"ave"`, or `NULL` for a list of both.
#' @param weights Initial weights are not accepted here: build the layer, then call [set_weights()].
#' @param backward_layer An optional layer for the backward direction.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_rnn
#' @family layers
#' @examples
#' model <- keras_model_sequential(input_shape = c(10, 4)) |>
#'   layer_lstm(units = 8, return_sequences = TRUE) |>
#'   layer_gru(units = 4)
#' @export
layer_simple_rnn <- function(object, units, activation = "tanh", use_bias = TRUE,
                             kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                             bias_initializer = "zeros", kernel_regularizer = NULL,
                             recurrent_regularizer = NULL, bias_regularizer = NULL,
                             activity_regularizer = NULL, kernel_constraint = NULL,
                             recurrent_constraint = NULL, bias_constraint = NULL, dropout = 0,
                             recurrent_dropout = 0, return_sequences = FALSE, return_state = FALSE,
                             go_backwards = FALSE, stateful = FALSE, unroll = FALSE, seed = NULL, ...) {
  create_layer("SimpleRNN", object, capture_args(list(units = as_integer, seed = as_integer)))
}

#' @rdname layers_rnn
#' @export
layer_lstm <- function(object, units, activation = "tanh", recurrent_activation = "sigmoid", use_bias = TRUE,
                       kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                       bias_initializer = "zeros", unit_forget_bias = TRUE, kernel_regularizer = NULL,
                       recurrent_regularizer = NULL, bias_regularizer = NULL, activity_regularizer = NULL,
                       kernel_constraint = NULL, recurrent_constraint = NULL, bias_constraint = NULL,
                       dropout = 0, recurrent_dropout = 0, seed = NULL, return_sequences = FALSE,
                       return_state = FALSE, go_backwards = FALSE, stateful = FALSE, unroll = FALSE,
                       use_cudnn = "auto", ...) {
  create_layer("LSTM", object, capture_args(list(units = as_integer, seed = as_integer)))
}

#' @rdname layers_rnn
#' @export
layer_gru <- function(object, units, activation = "tanh", recurrent_activation = "sigmoid", use_bias = TRUE,
                      kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                      bias_initializer = "zeros", kernel_regularizer = NULL, recurrent_regularizer = NULL,
                      bias_regularizer = NULL, activity_regularizer = NULL, kernel_constraint = NULL,
                      recurrent_constraint = NULL, bias_constraint = NULL, dropout = 0, recurrent_dropout = 0,
                      seed = NULL, return_sequences = FALSE, return_state = FALSE, go_backwards = FALSE,
                      stateful = FALSE, unroll = FALSE, reset_after = TRUE, use_cudnn = "auto", ...) {
  create_layer("GRU", object, capture_args(list(units = as_integer, seed = as_integer)))
}

#' @rdname layers_rnn
#' @export
layer_rnn <- function(object, cell, return_sequences = FALSE, return_state = FALSE, go_backwards = FALSE,
                      stateful = FALSE, unroll = FALSE, zero_output_for_mask = FALSE, ...) {
  create_layer("RNN", object, capture_args(list()))
}

#' @rdname layers_rnn
#' @export
rnn_cell_simple <- function(units, activation = "tanh", use_bias = TRUE,
                            kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                            bias_initializer = "zeros", kernel_regularizer = NULL,
                            recurrent_regularizer = NULL, bias_regularizer = NULL, kernel_constraint = NULL,
                            recurrent_constraint = NULL, bias_constraint = NULL, dropout = 0,
                            recurrent_dropout = 0, seed = NULL, ...) {
  create_layer("SimpleRNNCell", NULL,
               capture_args(list(units = as_integer, seed = as_integer), ignore = character()))
}

#' @rdname layers_rnn
#' @export
rnn_cell_lstm <- function(units, activation = "tanh", recurrent_activation = "sigmoid", use_bias = TRUE,
                          kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                          bias_initializer = "zeros", unit_forget_bias = TRUE, kernel_regularizer = NULL,
                          recurrent_regularizer = NULL, bias_regularizer = NULL, kernel_constraint = NULL,
                          recurrent_constraint = NULL, bias_constraint = NULL, dropout = 0,
                          recurrent_dropout = 0, seed = NULL, ...) {
  create_layer("LSTMCell", NULL,
               capture_args(list(units = as_integer, seed = as_integer), ignore = character()))
}

#' @rdname layers_rnn
#' @export
rnn_cell_gru <- function(units, activation = "tanh", recurrent_activation = "sigmoid", use_bias = TRUE,
                         kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                         bias_initializer = "zeros", kernel_regularizer = NULL, recurrent_regularizer = NULL,
                         bias_regularizer = NULL, kernel_constraint = NULL, recurrent_constraint = NULL,
                         bias_constraint = NULL, dropout = 0, recurrent_dropout = 0, reset_after = TRUE,
                         seed = NULL, ...) {
  create_layer("GRUCell", NULL,
               capture_args(list(units = as_integer, seed = as_integer), ignore = character()))
}

#' @rdname layers_rnn
#' @export
layer_conv_lstm_1d <- function(object, filters, kernel_size, strides = 1L, padding = "valid",
                               data_format = NULL, dilation_rate = 1L, activation = "tanh",
                               recurrent_activation = "sigmoid", use_bias = TRUE,
                               kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                               bias_initializer = "zeros", unit_forget_bias = TRUE, kernel_regularizer = NULL,
                               recurrent_regularizer = NULL, bias_regularizer = NULL,
                               activity_regularizer = NULL, kernel_constraint = NULL,
                               recurrent_constraint = NULL, bias_constraint = NULL, dropout = 0,
                               recurrent_dropout = 0, seed = NULL, return_sequences = FALSE,
                               return_state = FALSE, go_backwards = FALSE, stateful = FALSE, ...,
                               unroll = NULL) {
  create_layer("ConvLSTM1D", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, dilation_rate = as_integer_tuple,
                                 seed = as_integer)))
}

#' @rdname layers_rnn
#' @export
layer_conv_lstm_2d <- function(object, filters, kernel_size, strides = 1L, padding = "valid",
                               data_format = NULL, dilation_rate = 1L, activation = "tanh",
                               recurrent_activation = "sigmoid", use_bias = TRUE,
                               kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                               bias_initializer = "zeros", unit_forget_bias = TRUE, kernel_regularizer = NULL,
                               recurrent_regularizer = NULL, bias_regularizer = NULL,
                               activity_regularizer = NULL, kernel_constraint = NULL,
                               recurrent_constraint = NULL, bias_constraint = NULL, dropout = 0,
                               recurrent_dropout = 0, seed = NULL, return_sequences = FALSE,
                               return_state = FALSE, go_backwards = FALSE, stateful = FALSE, ...,
                               unroll = NULL) {
  create_layer("ConvLSTM2D", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, dilation_rate = as_integer_tuple,
                                 seed = as_integer)))
}

#' @rdname layers_rnn
#' @export
layer_conv_lstm_3d <- function(object, filters, kernel_size, strides = 1L, padding = "valid",
                               data_format = NULL, dilation_rate = 1L, activation = "tanh",
                               recurrent_activation = "sigmoid", use_bias = TRUE,
                               kernel_initializer = "glorot_uniform", recurrent_initializer = "orthogonal",
                               bias_initializer = "zeros", unit_forget_bias = TRUE, kernel_regularizer = NULL,
                               recurrent_regularizer = NULL, bias_regularizer = NULL,
                               activity_regularizer = NULL, kernel_constraint = NULL,
                               recurrent_constraint = NULL, bias_constraint = NULL, dropout = 0,
                               recurrent_dropout = 0, seed = NULL, return_sequences = FALSE,
                               return_state = FALSE, go_backwards = FALSE, stateful = FALSE, ...,
                               unroll = NULL) {
  create_layer("ConvLSTM3D", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, dilation_rate = as_integer_tuple,
                                 seed = as_integer)))
}

#' @rdname layers_rnn
#' @export
layer_bidirectional <- function(object, layer, merge_mode = "concat", weights = NULL, backward_layer = NULL,
                                ...) {
  create_layer("Bidirectional", object, capture_args(list()))
}

#' @rdname layers_rnn
#' @export
layer_time_distributed <- function(object, layer, ...) {
  create_layer("TimeDistributed", object, capture_args(list()))
}
