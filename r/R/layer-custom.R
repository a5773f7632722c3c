#' Define a custom layer computed in R
#'
#' Creates a layer constructor from R functions, in the style of keras3's
#' `Layer()`. The methods see the layer as `self` (an environment: store
#' settings and weights in it) and the base class as `super`. keras-cpp runs
#' the model in C++ and calls back into R for this layer: `call()` receives
#' the input as an R array and returns an R array.
#'
#' Methods (all optional but `call`):
#' - `initialize(...)`: takes the constructor's arguments; call
#'   `super$initialize(...)` with the base ones (`name`, `dtype`,
#'   `trainable`). Without it every argument is kept in the config.
#' - `build(input_shape)`: creates weights with
#'   `self$add_weight(shape, initializer = "glorot_uniform", dtype = NULL,
#'   trainable = TRUE, name = NULL)`; assign them to `self`, e.g.
#'   `self$kernel <- self$add_weight(...)`. Reading `self$kernel` later gives
#'   the weight's current value as an R array. `input_shape` is a list with
#'   `NULL` for unknown dimensions.
#' - `call(inputs, training)`: the forward pass on an R array (one input).
#' - `compute_output_shape(input_shape)`: the output shape (a list, `NULL`
#'   for unknown). Without it, keras-cpp runs `call()` on zeros to find it.
#' - `get_config()`: the constructor arguments that rebuild the layer;
#'   start from `super$get_config()`.
#'
#' Register the constructor with [register_keras_serializable()] so that
#' saved models refer to it as `"package>classname"` and load with it; a
#' Python Keras class of the same registered name loads such files too.
#'
#' @param classname The layer's class name, as configs record it.
#' @param initialize,build,call,get_config,compute_output_shape The methods, as
#'   described above.
#' @param ... Further methods or fields, copied into `self`.
#' @param parent_env The environment the methods are evaluated in (besides
#'   `self` and `super`).
#' @returns A layer constructor: `function(object, ...)`, composing like the
#'   `layer_*()` functions.
#' @examples
#' layer_scale <- Layer("Scale",
#'   initialize = function(factor = 2, ...) {
#'     super$initialize(...)
#'     self$factor <- factor
#'   },
#'   call = function(inputs) inputs * self$factor,
#'   get_config = function() {
#'     config <- super$get_config()
#'     config$factor <- self$factor
#'     config
#'   }
#' )
#' model <- keras_model_sequential(input_shape = c(2)) |> layer_scale(factor = 3)
#' predict(model, matrix(1, 1, 2))
#' @export
Layer <- function(classname, initialize = NULL, build = NULL, call = NULL, get_config = NULL,
                  compute_output_shape = NULL, ..., parent_env = parent.frame()) {
  if (!is.function(call)) stop("A custom layer needs a `call` method", call. = FALSE)
  spec <- new.env(parent = emptyenv())
  spec$classname <- classname
  spec$registered_name <- ""
  spec$methods <- list(initialize = initialize, build = build, call = call, get_config = get_config,
                       compute_output_shape = compute_output_shape)
  spec$extra <- list(...)
  spec$parent_env <- parent_env
  constructor <- function(object, ...) {
    layer <- new_r_layer(spec, list(...))
    if (missing(object) || is.null(object)) layer else compose_layer(object, layer)
  }
  structure(constructor, class = c("kerascpp_layer_class", "function"), spec = spec)
}

# An instance of a Layer() class: `self` gets the methods, bound so that they
# see `self` and `super`.
new_r_layer <- function(spec, args) {
  self <- structure(new.env(parent = emptyenv()), class = "kerascpp_layer_self")
  method_env <- new.env(parent = spec$parent_env)
  method_env$self <- self
  state <- new.env(parent = emptyenv())
  super <- list(
    initialize = function(name = NULL, dtype = NULL, trainable = TRUE, ...) {
      if (is.list(dtype)) dtype <- dtype$config$name
      created <- cpp_rlayer_new(self, spec$classname, spec$registered_name, name, dtype, isTRUE(trainable))
      state$layer <- created$layer
      state$handle <- created$handle
      invisible(NULL)
    },
    get_config = function() cpp_rlayer_base_config(state$handle),
    build = function(input_shape) invisible(NULL)
  )
  method_env$super <- super
  for (name in names(spec$extra)) {
    value <- spec$extra[[name]]
    if (is.function(value)) environment(value) <- method_env
    assign(name, value, envir = self)
  }
  for (name in names(spec$methods)) {
    method <- spec$methods[[name]]
    if (is.null(method)) next
    environment(method) <- method_env
    assign(name, method, envir = self)
  }
  assign("add_weight", function(shape = NULL, initializer = "glorot_uniform", dtype = NULL, trainable = TRUE,
                                name = NULL, ...) {
    if (is.null(state$handle)) stop("add_weight() needs super$initialize() to have run", call. = FALSE)
    variable <- cpp_rlayer_add_weight(state$handle, name %||% "variable", normalize_shape(shape),
                                      to_config(initializer), isTRUE(trainable), dtype)
    structure(variable, class = "kerascpp_variable")
  }, envir = self)
  assign(".state", state, envir = self)
  if (is.null(spec$methods$initialize)) {
    base <- c("name", "dtype", "trainable")
    do.call(super$initialize, args[intersect(names(args), base)])
    state$auto_config <- args[setdiff(names(args), base)]
  } else {
    do.call(self$initialize, args)
  }
  if (is.null(state$layer)) stop("initialize() of '", spec$classname, "' must call super$initialize(...)",
                                 call. = FALSE)
  new_layer_object(state$layer)
}

# `self$x` reads weights as arrays of their current values.
#' @export
`$.kerascpp_layer_self` <- function(x, name) {
  value <- get0(name, envir = x, inherits = FALSE)
  if (inherits(value, "kerascpp_variable")) cpp_variable_value(value) else value
}

# Called from C++ (rlayer.cpp) to run a method; returns list(value, error).
rlayer_dispatch <- function(self, method, args) {
  tryCatch(list(value = rlayer_method(self, method, args), error = NULL),
           error = function(e) list(value = NULL, error = conditionMessage(e)))
}

rlayer_method <- function(self, method, args) {
  user <- get0(method, envir = self, inherits = FALSE)
  state <- get(".state", envir = self)
  switch(method,
    call = {
      if ("training" %in% names(formals(user)) || "..." %in% names(formals(user)))
        user(args[[1L]], training = args[[2L]])
      else user(args[[1L]])
    },
    build = if (is.function(user)) user(args[[1L]]),
    get_config = {
      config <- if (is.function(user)) user() else c(cpp_rlayer_base_config(state$handle), state$auto_config)
      to_config(config)
    },
    compute_output_shape = {
      input_shape <- args[[1L]]
      if (is.function(user)) return(normalize_shape(user(input_shape)))
      # Run call() on zeros (unknown dimensions as 1) and keep the batch dimension unknown.
      dims <- vapply(input_shape, function(d) if (is.null(d)) 1L else as.integer(d), 1L)
      out <- self$call(array(0, dim = dims))
      shape <- as.list(dim(out) %||% length(out))
      if (length(shape) && is.null(input_shape[[1L]])) shape[1L] <- list(NULL)
      shape
    })
}
