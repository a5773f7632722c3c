# Custom objects: R functions that build a layer from a Keras config, found
# by the name a file gives (registered_name "package>Name", or a class name).

custom_factories <- new.env(parent = emptyenv())

# Called from C++ while a model loads: runs the factory registered under
# `key` on the layer's config. Errors are returned, not raised, so that no R
# long jump crosses the C++ loader.
call_custom_factory <- function(key, config) {
  factory <- custom_factories[[key]]
  if (is.null(factory)) return(list(layer = NULL, error = paste0("No R factory for '", key, "'")))
  tryCatch({
    layer <- do.call(factory, config)
    if (!is_keras_object(layer))
      stop("the factory for '", key, "' returned an object of class ",
           paste(class(layer), collapse = "/"), ", not a keras layer")
    list(layer = ptr_of(layer), error = NULL)
  }, error = function(e) list(layer = NULL, error = paste0("Custom object '", key, "': ", conditionMessage(e))))
}

#' Register a custom object so that saved models can refer to it
#'
#' Registers `object` under `"package>name"`, the `registered_name` that
#' Keras writes for custom classes, so that [load_model()] can rebuild such
#' layers, from files written here or by Python Keras.
#'
#' `object` is either a layer class made with [Layer()] (a layer computed in
#' R; its instances are then saved under the registered name, which is by
#' default its class name), or an R function that receives a layer's saved
#' config as arguments (`name`, `trainable`, `dtype` and the layer's own
#' keys; take `...` for those you do not use) and returns a layer built from
#' keras-cpp's layers. In the second case the saved weights are loaded into
#' the returned layer, which must therefore hold the same variables under
#' the same class-derived weight group.
#'
#' @param object A [Layer()] class, or an R function returning a keras layer.
#' @param name The registered name; by default the class name of a
#'   [Layer()] class, or the name of `object` as passed.
#' @param package The package part of the registered name; by default the
#'   calling package, or `"Custom"` at top level (as in keras3).
#' @returns `object`, invisibly.
#' @examples
#' layer_double <- Layer("Double", call = function(inputs) inputs * 2)
#' register_keras_serializable(layer_double, package = "MyLayers")
#' model <- keras_model_sequential(input_shape = c(2)) |> layer_double()
#' restored <- load_model(save_model(model))
#' @export
register_keras_serializable <- function(object, name = NULL, package = NULL) {
  if (is.null(name) && !inherits(object, "kerascpp_layer_class")) name <- deparse1(substitute(object))
  if (is.null(package)) {
    package <- environmentName(topenv(parent.frame()))
    if (package %in% c("", "base", "R_GlobalEnv")) package <- "Custom"
  }
  if (!is.function(object) || is_keras_object(object))
    stop("`object` must be a function that builds a layer from a config", call. = FALSE)
  if (inherits(object, "kerascpp_layer_class")) {
    # A Layer() class: its instances record the registered name, and its configs rebuild it.
    spec <- attr(object, "spec")
    if (missing(name) || is.null(name)) name <- spec$classname
    spec$registered_name <- paste0(package, ">", name)
  }
  key <- paste0(package, ">", name)
  assign(key, object, envir = custom_factories)
  cpp_register_serializable(package, name, key)
  invisible(object)
}

#' Evaluate code with custom objects in scope
#'
#' While `expr` runs, the names in `objects` resolve to the given factories
#' (R functions that build a layer from a config, see
#' [register_keras_serializable()]) when a model is loaded, in addition to
#' the registered ones.
#'
#' @param objects A named list of factories. Names are what saved configs
#'   use: a `registered_name` such as `"MyPackage>MyLayer"`, or a class name.
#' @param expr The code to evaluate.
#' @returns The value of `expr`.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
#' path <- tempfile(fileext = ".keras")
#' save_model(model, path)
#' with_custom_object_scope(list(Affine = function(...) layer_dense(...)), {
#'   load_model(path)
#' })
#' @export
with_custom_object_scope <- function(objects, expr) {
  if (!length(objects)) return(expr)
  names <- names(objects)
  if (is.null(names) || any(!nzchar(names)))
    stop("`objects` must be a named list of functions", call. = FALSE)
  counter <- (custom_factories$.scopes %||% 0L) + 1L
  assign(".scopes", counter, envir = custom_factories)
  keys <- paste0("scope", counter, ":", names)
  for (i in seq_along(objects)) {
    if (!is.function(objects[[i]]) || is_keras_object(objects[[i]]))
      stop("Custom object '", names[[i]], "' must be a function that builds a layer", call. = FALSE)
    assign(keys[[i]], objects[[i]], envir = custom_factories)
  }
  cpp_scope_push(names, keys)
  on.exit({
    cpp_scope_pop()
    rm(list = keys, envir = custom_factories)
  }, add = TRUE)
  expr
}
