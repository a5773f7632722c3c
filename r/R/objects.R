# The R side of keras-cpp objects. A layer or model is an R function (as in
# keras3: `layer(x)` calls it on a symbolic tensor) whose environment holds
# the external pointer; a symbolic tensor is the external pointer itself.

layer_classes <- function(info) {
  if (isTRUE(info$is_model)) {
    kind <- switch(info$class_name,
                   Sequential = "keras.src.models.sequential.Sequential",
                   Functional = "keras.src.models.functional.Functional",
                   paste0("keras.src.models.", info$class_name))
    return(c(kind, "keras.src.models.model.Model", "keras.src.layers.layer.Layer",
             "keras.src.ops.operation.Operation", "kerascpp_object"))
  }
  c(paste0(info$module, ".", info$class_name), "keras.src.layers.layer.Layer",
    "keras.src.ops.operation.Operation", "kerascpp_object")
}

# Wraps a layer pointer. `input_shape` (from a layer_* call's `...`) gives an
# empty Sequential model its input when the layer is added to it.
new_layer_object <- function(ptr, input_shape = NULL, input_dtype = NULL) {
  force(input_shape)
  force(input_dtype)
  info <- cpp_layer_info(ptr)
  self <- structure(function(object, ...) compose_layer(object, self, ...),
                    class = layer_classes(info))
  self
}

is_keras_object <- function(x) inherits(x, "kerascpp_object")
is_model <- function(x) inherits(x, "keras.src.models.model.Model")
is_sequential <- function(x) inherits(x, "keras.src.models.sequential.Sequential")
is_tensor <- function(x) inherits(x, "kerascpp_tensor")

ptr_of <- function(x) {
  if (!is_keras_object(x)) stop("Expected a keras layer or model, got an object of class ",
                                paste(class(x), collapse = "/"), call. = FALSE)
  get("ptr", envir = environment(x), inherits = FALSE)
}

extra_of <- function(x, name) get0(name, envir = environment(x), inherits = FALSE)

new_tensor_object <- function(ptr) {
  structure(ptr, class = c("keras.src.backend.common.keras_tensor.KerasTensor", "kerascpp_tensor"))
}

wrap_tensors <- function(ptrs) {
  tensors <- lapply(ptrs, new_tensor_object)
  if (length(tensors) == 1L) tensors[[1L]] else tensors
}

tensor_info <- function(x) cpp_tensor_info(x)

format_shape <- function(shape) {
  dims <- vapply(shape, function(d) if (is.null(d)) "None" else as.character(d), "")
  if (length(dims) == 1L) paste0("(", dims, ",)") else paste0("(", paste(dims, collapse = ", "), ")")
}

#' @export
format.kerascpp_tensor <- function(x, ...) {
  info <- tensor_info(x)
  sprintf("<KerasTensor shape=%s, dtype=%s, op=%s>", format_shape(info$shape), info$dtype, info$op)
}

# print() methods of objects whose format() says it all.
print_formatted <- function(x, ...) {
  writeLines(format(x, ...))
  invisible(x)
}

#' @export
print.kerascpp_tensor <- print_formatted

#' @export
`$.kerascpp_tensor` <- function(x, name) {
  info <- tensor_info(x)
  switch(name,
         shape = structure(info$shape, class = "keras_shape"),
         dtype = info$dtype,
         stop("A symbolic tensor has no attribute '", name, "'", call. = FALSE))
}

#' @export
format.keras_shape <- function(x, ...) paste0("shape", format_shape(x))

#' @export
print.keras_shape <- print_formatted

#' @export
Ops.kerascpp_tensor <- function(e1, e2) {
  if (missing(e2)) {
    if (.Generic == "+") return(e1)
    return(new_tensor_object(cpp_tensor_op(.Generic, e1, NULL)))
  }
  new_tensor_object(cpp_tensor_op(.Generic, e1, e2))
}

#' @export
Math.kerascpp_tensor <- function(x, ...) new_tensor_object(cpp_tensor_op(.Generic, x, NULL))

#' @export
format.kerascpp_object <- function(x, ...) {
  info <- cpp_layer_info(ptr_of(x))
  sprintf("<%s name=%s, built=%s>", info$python_class_name, info$name,
          if (info$built) "True" else "False")
}

#' @export
print.kerascpp_object <- print_formatted

# Attributes and methods reachable with `$`, as on keras3's Python objects.
#' @export
`$.kerascpp_object` <- function(x, name) {
  ptr <- ptr_of(x)
  switch(name,
    name = cpp_layer_info(ptr)$name,
    trainable = cpp_layer_info(ptr)$trainable,
    built = cpp_layer_info(ptr)$built,
    weights = cpp_layer_weights(ptr, "all"),
    trainable_weights = cpp_layer_weights(ptr, "trainable"),
    non_trainable_weights = cpp_layer_weights(ptr, "non_trainable"),
    layers = lapply(cpp_model_layers(ptr), new_layer_object),
    inputs = lapply(cpp_model_io(ptr)$inputs, new_tensor_object),
    outputs = lapply(cpp_model_io(ptr)$outputs, new_tensor_object),
    input = wrap_tensors(cpp_model_io(ptr)$inputs),
    output = wrap_tensors(cpp_model_io(ptr)$outputs),
    input_names = unlist(cpp_model_io(ptr)$input_names),
    output_names = unlist(cpp_model_io(ptr)$output_names),
    get_config = function() get_config(x),
    get_weights = function() get_weights(x),
    set_weights = function(weights) set_weights(x, weights),
    count_params = function() count_params(x),
    get_layer = function(name = NULL, index = NULL) get_layer(x, name, index),
    add = function(layer) {
      compose_layer(x, layer)
      invisible(NULL)
    },
    pop = function() pop_layer(x),
    summary = function(...) summary(x, ...),
    predict = function(x_data, ...) predict(x, x_data, ...),
    to_json = function() cpp_to_json(ptr),
    stop("The ", cpp_layer_info(ptr)$python_class_name, " object has no attribute '", name, "'",
         call. = FALSE))
}

#' @export
`$<-.kerascpp_object` <- function(x, name, value) {
  if (!identical(name, "trainable"))
    stop("Cannot set the attribute '", name, "' (only `trainable` can be set)", call. = FALSE)
  cpp_layer_set_trainable(ptr_of(x), isTRUE(value))
  x
}

#' @exportS3Method utils::.DollarNames
.DollarNames.kerascpp_object <- function(x, pattern = "") {
  names <- c("name", "trainable", "built", "weights", "trainable_weights", "non_trainable_weights",
             "get_config", "get_weights", "set_weights", "count_params")
  if (is_model(x)) names <- c(names, "layers", "inputs", "outputs", "input", "output", "input_names",
                              "output_names", "get_layer", "summary", "predict", "to_json",
                              if (is_sequential(x)) c("add", "pop"))
  grep(pattern, names, value = TRUE)
}
