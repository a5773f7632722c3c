#' Create a symbolic input tensor
#'
#' The start of a functional model: call layers on it, then pass it and the
#' result to [keras_model()].
#'
#' @param shape The shape of one sample (without the batch dimension): an
#'   integer vector or list, with `NA` or `NULL` for an unknown dimension.
#' @param batch_size An optional fixed batch size.
#' @param dtype The input's dtype, e.g. `"float32"` (the default) or `"int32"`.
#' @param sparse,ragged Sparse and ragged inputs are not supported by
#'   keras-cpp; only `NULL` or `FALSE` are accepted.
#' @param batch_shape The shape including the batch dimension (instead of
#'   `shape` and `batch_size`).
#' @param name An optional name for the input layer.
#' @param tensor Not supported (keras-cpp has no backend tensors to wrap).
#' @param optional Whether the input may be `NULL` when the model is called.
#' @returns A symbolic tensor.
#' @examples
#' x <- keras_input(shape = c(28, 28, 1))
#' x
#' @export
keras_input <- function(shape = NULL, batch_size = NULL, dtype = NULL, sparse = NULL, ragged = NULL,
                        batch_shape = NULL, name = NULL, tensor = NULL, optional = FALSE) {
  if (isTRUE(ragged)) stop("Ragged inputs are not supported by keras-cpp", call. = FALSE)
  if (!is.null(tensor)) stop("`tensor` is not supported by keras-cpp", call. = FALSE)
  if (!is.null(batch_shape)) {
    batch_shape <- normalize_shape(batch_shape)
    if (!is.null(shape)) stop("Pass either `shape` or `batch_shape`, not both", call. = FALSE)
    shape <- batch_shape[-1L]
    if (is.null(batch_size) && length(batch_shape) && !is.null(batch_shape[[1L]])) batch_size <- batch_shape[[1L]]
  }
  if (is.null(shape)) stop("Please provide to Input a `shape` or a `batch_shape` argument.", call. = FALSE)
  new_tensor_object(cpp_input(normalize_shape(shape), as_integer(batch_size), dtype, name,
                              isTRUE(sparse), isTRUE(optional)))
}

#' Create a sequential model
#'
#' A linear stack of layers. With `input_shape` the model starts with an
#' input of that shape; layers are added by piping the model into `layer_*`
#' functions, or given as `layers`.
#'
#' @param input_shape The shape of one input sample (without the batch
#'   dimension), e.g. `c(3)`; `NA` or `NULL` entries are unknown dimensions.
#' @param name The model's name.
#' @param ... Further `input_*` arguments by name (none besides those below).
#' @param input_dtype,input_batch_size,input_batch_shape,input_name,input_optional
#'   Arguments of the input, as for [keras_input()].
#' @param input_sparse,input_ragged,input_tensor Not supported by keras-cpp.
#' @param trainable Whether the model's weights are trainable.
#' @param layers A list of layers to add, in order.
#' @returns A Sequential model.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |>
#'   layer_dense(5) |>
#'   layer_activation_softmax()
#' model
#' @export
keras_model_sequential <- function(input_shape = NULL, name = NULL, ..., input_dtype = NULL,
                                   input_batch_size = NULL, input_sparse = NULL, input_ragged = NULL,
                                   input_batch_shape = NULL, input_name = NULL, input_tensor = NULL,
                                   input_optional = FALSE, trainable = TRUE, layers = list()) {
  if (is_keras_object(input_shape) || (is.list(input_shape) && any(vapply(input_shape, is_keras_object, NA))))
    stop("`layers` must be passed in as a named argument.", call. = FALSE)
  if (...length()) stop("Unknown arguments: ", paste(names(list(...)), collapse = ", "), call. = FALSE)
  if (is_keras_object(layers)) layers <- list(layers)
  entries <- list()
  if (!is.null(input_shape) || !is.null(input_batch_shape)) {
    entries <- list(keras_input(shape = input_shape, batch_size = input_batch_size, dtype = input_dtype,
                                sparse = input_sparse, ragged = input_ragged, batch_shape = input_batch_shape,
                                name = input_name, tensor = input_tensor, optional = input_optional))
  } else if (length(layers) && !is.null(extra_of(layers[[1L]], "input_shape"))) {
    entries <- list(keras_input(shape = extra_of(layers[[1L]], "input_shape"),
                                dtype = extra_of(layers[[1L]], "input_dtype")))
  }
  entries <- c(entries, lapply(layers, ptr_of))
  new_layer_object(cpp_sequential(entries, name, isTRUE(trainable)))
}

#' Create a functional model
#'
#' A model from symbolic inputs (made with [keras_input()]) and the symbolic
#' outputs of layers called on them.
#'
#' @param inputs One symbolic input, or a list of them (named: the model
#'   takes its inputs by name).
#' @param outputs One symbolic output, or a list of them (named: `predict()`
#'   returns a named list).
#' @param ... `name`: the model's name.
#' @returns A Functional model.
#' @examples
#' inputs <- keras_input(shape = c(4))
#' outputs <- inputs |> layer_dense(8, activation = "relu") |> layer_dense(2)
#' model <- keras_model(inputs, outputs)
#' @export
keras_model <- function(inputs = NULL, outputs = NULL, ...) {
  args <- list(...)
  unknown <- setdiff(names(args), "name")
  if (length(unknown)) stop("Unknown arguments: ", paste(unknown, collapse = ", "), call. = FALSE)
  if (is.list(inputs) && is.null(names(inputs)) && length(inputs) == 1L) inputs <- inputs[[1L]]
  if (is.list(outputs) && is.null(names(outputs)) && length(outputs) == 1L) outputs <- outputs[[1L]]
  new_layer_object(cpp_functional(inputs, outputs, args$name))
}

# Builds the layer `class_name` from the supplied arguments and composes it
# with `object` (see compose_layer()).
create_layer <- function(class_name, object, args = list()) {
  object <- if (missing(object)) NULL else object
  input_shape <- args$input_shape
  input_dtype <- NULL
  if (!is.null(args$batch_input_shape)) input_shape <- normalize_shape(args$batch_input_shape)[-1L]
  if (!is.null(input_shape)) input_dtype <- args$dtype
  if (!is.null(args$weights))
    stop("`weights` is not supported here: build the layer, then call set_weights()", call. = FALSE)
  args$input_shape <- NULL
  args$batch_input_shape <- NULL
  args$batch_size <- NULL
  config <- if (length(args)) to_config(args) else NULL
  layer <- new_layer_object(cpp_layer_from_config(class_name, config, "keras.layers"),
                            input_shape = input_shape, input_dtype = input_dtype)
  if (is.null(object)) layer else compose_layer(object, layer)
}

# What `layer(object, ...)` and `object |> layer_*()` do, as in keras3: add
# the layer to a Sequential model (returning the model), call it on symbolic
# tensors (returning the output tensors), or run it on R arrays.
compose_layer <- function(object, layer, ...) {
  if (missing(object) || is.null(object))
    stop("A layer needs an input: a Sequential model, a symbolic tensor or an array", call. = FALSE)
  if (is_sequential(object)) {
    if (...length()) warning("arguments passed via ellipsis will be ignored")
    model_ptr <- ptr_of(object)
    input_shape <- extra_of(layer, "input_shape")
    if (!is.null(input_shape) && isTRUE(cpp_sequential_is_empty(model_ptr)))
      cpp_sequential_add(model_ptr, keras_input(shape = input_shape, dtype = extra_of(layer, "input_dtype")))
    cpp_sequential_add(model_ptr, ptr_of(layer))
    return(invisible(object))
  }
  dots <- list(...)
  named <- if (is.null(names(dots))) rep(FALSE, length(dots)) else nzchar(names(dots))
  args <- c(list(object), dots[!named])
  kwargs <- dots[named]
  if (is_symbolic(object))
    return(wrap_tensors(cpp_layer_call(ptr_of(layer), lapply(args, to_config), lapply(kwargs, to_config))))
  if (is.numeric(object) || is.logical(object))
    return(eager_call(layer, args, kwargs))
  stop("Cannot call a layer on an object of class ", paste(class(object), collapse = "/"), call. = FALSE)
}

is_symbolic <- function(x) is_tensor(x) || (is.list(x) && length(x) && all(vapply(x, is_tensor, NA)))

# Runs a layer on R arrays through a throwaway functional model.
eager_call <- function(layer, args, kwargs) {
  arrays <- Filter(function(a) is.numeric(a) || is.logical(a), args)
  inputs <- lapply(arrays, function(a) {
    d <- dim(a) %||% length(a)
    dtype <- if (is.integer(a)) "int32" else if (is.logical(a)) "bool" else "float32"
    keras_input(shape = as.list(d[-1L]), dtype = dtype)
  })
  outputs <- do.call(layer, c(inputs, kwargs))
  model <- keras_model(inputs, outputs)
  predict(model, arrays)
}

`%||%` <- function(x, y) if (is.null(x)) y else x
