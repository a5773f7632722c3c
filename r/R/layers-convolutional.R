# One function per Keras layer, with keras3's names, arguments and defaults; the shared
# machinery is in R/model-creation.R (create_layer, compose_layer) and R/layer-helpers.R.

#' Convolution layers
#'
#' Convolutions over 1, 2 or 3 spatial dimensions, their transposes, depthwise and separable
#' convolutions.
#'
#' @param object What to compose the layer with: a Sequential model (the layer is added to it and
#'   the model returned), a symbolic tensor (the layer is called on it and its output returned) or
#'   an R array (the layer is run on it). Missing or `NULL`: the layer itself is returned.
#' @param filters The number of output channels.
#' @param kernel_size The size of the convolution window: one integer, or one per spatial dimension.
#' @param strides The strides of the window: one integer, or one per spatial dimension.
#' @param padding `"valid"` (no padding) or `"same"` (the output keeps the input's size at stride
#'   1); for the zero-padding layers, the padding sizes.
#' @param data_format `"channels_last"` (the default) or `"channels_first"`.
#' @param dilation_rate The dilation rate of the window: one integer, or one per spatial dimension.
#' @param groups The number of groups the input channels are split into (convolution); the number of
#'   groups of GroupNormalization.
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
#' @param ... Further Keras arguments by name: `name`, `dtype` and `trainable` for every layer, and
#'   `input_shape` (the shape of one sample, which starts a Sequential model it is the first layer
#'   of).
#' @param output_padding The extra size added to one side of each spatial output dimension.
#' @param depth_multiplier The number of output channels per input channel of the depthwise step.
#' @param depthwise_initializer The initializer of the depthwise kernel.
#' @param depthwise_regularizer A regularizer of the depthwise kernel.
#' @param depthwise_constraint A constraint on the depthwise kernel.
#' @param pointwise_initializer The initializer of the pointwise kernel.
#' @param pointwise_regularizer A regularizer of the pointwise kernel.
#' @param pointwise_constraint A constraint on the pointwise kernel.
#' @returns The layer, the model it was added to, or the output of the call (see `object`).
#' @name layers_convolutional
#' @family layers
#' @examples
#' model <- keras_model_sequential(input_shape = c(28, 28, 1)) |>
#'   layer_conv_2d(filters = 8, kernel_size = c(3, 3), activation = "relu")
#' @export
layer_conv_1d <- function(object, filters, kernel_size, strides = 1L, padding = "valid", data_format = NULL,
                          dilation_rate = 1L, groups = 1L, activation = NULL, use_bias = TRUE,
                          kernel_initializer = "glorot_uniform", bias_initializer = "zeros",
                          kernel_regularizer = NULL, bias_regularizer = NULL, activity_regularizer = NULL,
                          kernel_constraint = NULL, bias_constraint = NULL, ...) {
  create_layer("Conv1D", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, dilation_rate = as_integer_tuple,
                                 groups = as_integer)))
}

#' @rdname layers_convolutional
#' @export
layer_conv_2d <- function(object, filters, kernel_size, strides = list(1L, 1L), padding = "valid",
                          data_format = NULL, dilation_rate = list(1L, 1L), groups = 1L, activation = NULL,
                          use_bias = TRUE, kernel_initializer = "glorot_uniform", bias_initializer = "zeros",
                          kernel_regularizer = NULL, bias_regularizer = NULL, activity_regularizer = NULL,
                          kernel_constraint = NULL, bias_constraint = NULL, ...) {
  create_layer("Conv2D", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, dilation_rate = as_integer_tuple,
                                 groups = as_integer)))
}

#' @rdname layers_convolutional
#' @export
layer_conv_3d <- function(object, filters, kernel_size, strides = list(1L, 1L, 1L), padding = "valid",
                          data_format = NULL, dilation_rate = list(1L, 1L, 1L), groups = 1L,
                          activation = NULL, use_bias = TRUE, kernel_initializer = "glorot_uniform",
                          bias_initializer = "zeros", kernel_regularizer = NULL, bias_regularizer = NULL,
                          activity_regularizer = NULL, kernel_constraint = NULL, bias_constraint = NULL,
                          ...) {
  create_layer("Conv3D", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, dilation_rate = as_integer_tuple,
                                 groups = as_integer)))
}

#' @rdname layers_convolutional
#' @export
layer_conv_1d_transpose <- function(object, filters, kernel_size, strides = 1L, padding = "valid",
                                    output_padding = NULL, data_format = NULL, dilation_rate = 1L,
                                    activation = NULL, use_bias = TRUE, kernel_initializer = "glorot_uniform",
                                    bias_initializer = "zeros", kernel_regularizer = NULL,
                                    bias_regularizer = NULL, activity_regularizer = NULL,
                                    kernel_constraint = NULL, bias_constraint = NULL, ...) {
  create_layer("Conv1DTranspose", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, output_padding = as_integer_tuple,
                                 dilation_rate = as_integer_tuple)))
}

#' @rdname layers_convolutional
#' @export
layer_conv_2d_transpose <- function(object, filters, kernel_size, strides = list(1L, 1L), padding = "valid",
                                    output_padding = NULL, data_format = NULL, dilation_rate = list(1L, 1L),
                                    activation = NULL, use_bias = TRUE, kernel_initializer = "glorot_uniform",
                                    bias_initializer = "zeros", kernel_regularizer = NULL,
                                    bias_regularizer = NULL, activity_regularizer = NULL,
                                    kernel_constraint = NULL, bias_constraint = NULL, ...) {
  create_layer("Conv2DTranspose", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, output_padding = as_integer_tuple,
                                 dilation_rate = as_integer_tuple)))
}

#' @rdname layers_convolutional
#' @export
layer_conv_3d_transpose <- function(object, filters, kernel_size, strides = list(1L, 1L, 1L),
                                    padding = "valid", output_padding = NULL, data_format = NULL,
                                    dilation_rate = list(1L, 1L, 1L), activation = NULL, use_bias = TRUE,
                                    kernel_initializer = "glorot_uniform", bias_initializer = "zeros",
                                    kernel_regularizer = NULL, bias_regularizer = NULL,
                                    activity_regularizer = NULL, kernel_constraint = NULL,
                                    bias_constraint = NULL, ...) {
  create_layer("Conv3DTranspose", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, output_padding = as_integer_tuple,
                                 dilation_rate = as_integer_tuple)))
}

#' @rdname layers_convolutional
#' @export
layer_depthwise_conv_1d <- function(object, kernel_size, strides = 1L, padding = "valid",
                                    depth_multiplier = 1L, data_format = NULL, dilation_rate = 1L,
                                    activation = NULL, use_bias = TRUE,
                                    depthwise_initializer = "glorot_uniform", bias_initializer = "zeros",
                                    depthwise_regularizer = NULL, bias_regularizer = NULL,
                                    activity_regularizer = NULL, depthwise_constraint = NULL,
                                    bias_constraint = NULL, ...) {
  create_layer("DepthwiseConv1D", object,
               capture_args(list(kernel_size = as_integer_tuple, strides = as_integer_tuple,
                                 depth_multiplier = as_integer, dilation_rate = as_integer_tuple)))
}

#' @rdname layers_convolutional
#' @export
layer_depthwise_conv_2d <- function(object, kernel_size, strides = list(1L, 1L), padding = "valid",
                                    depth_multiplier = 1L, data_format = NULL, dilation_rate = list(1L, 1L),
                                    activation = NULL, use_bias = TRUE,
                                    depthwise_initializer = "glorot_uniform", bias_initializer = "zeros",
                                    depthwise_regularizer = NULL, bias_regularizer = NULL,
                                    activity_regularizer = NULL, depthwise_constraint = NULL,
                                    bias_constraint = NULL, ...) {
  create_layer("DepthwiseConv2D", object,
               capture_args(list(kernel_size = as_integer_tuple, strides = as_integer_tuple,
                                 depth_multiplier = as_integer, dilation_rate = as_integer_tuple)))
}

#' @rdname layers_convolutional
#' @export
layer_separable_conv_1d <- function(object, filters, kernel_size, strides = 1L, padding = "valid",
                                    data_format = NULL, dilation_rate = 1L, depth_multiplier = 1L,
                                    activation = NULL, use_bias = TRUE,
                                    depthwise_initializer = "glorot_uniform",
                                    pointwise_initializer = "glorot_uniform", bias_initializer = "zeros",
                                    depthwise_regularizer = NULL, pointwise_regularizer = NULL,
                                    bias_regularizer = NULL, activity_regularizer = NULL,
                                    depthwise_constraint = NULL, pointwise_constraint = NULL,
                                    bias_constraint = NULL, ...) {
  create_layer("SeparableConv1D", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, dilation_rate = as_integer_tuple,
                                 depth_multiplier = as_integer)))
}

#' @rdname layers_convolutional
#' @export
layer_separable_conv_2d <- function(object, filters, kernel_size, strides = list(1L, 1L), padding = "valid",
                                    data_format = NULL, dilation_rate = list(1L, 1L), depth_multiplier = 1L,
                                    activation = NULL, use_bias = TRUE,
                                    depthwise_initializer = "glorot_uniform",
                                    pointwise_initializer = "glorot_uniform", bias_initializer = "zeros",
                                    depthwise_regularizer = NULL, pointwise_regularizer = NULL,
                                    bias_regularizer = NULL, activity_regularizer = NULL,
                                    depthwise_constraint = NULL, pointwise_constraint = NULL,
                                    bias_constraint = NULL, ...) {
  create_layer("SeparableConv2D", object,
               capture_args(list(filters = as_integer, kernel_size = as_integer_tuple,
                                 strides = as_integer_tuple, dilation_rate = as_integer_tuple,
                                 depth_multiplier = as_integer)))
}
