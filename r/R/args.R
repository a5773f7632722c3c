# Turning R arguments into Keras config values, as keras3 does: only the
# arguments a caller supplied are passed on (Keras fills in its defaults),
# counts become integers, shapes lists with NULL for None, axes 0-based.

# The arguments the calling function was given (not its defaults), with
# `modifiers` applied by name. Named `...` entries are included.
capture_args <- function(modifiers = list(), ignore = "object") {
  # The calling function's frame, also when this runs as a promise of
  # create_layer()'s `args`.
  frame <- sys.parent()
  fn <- sys.function(frame)
  env <- parent.frame()
  call <- match.call(fn, sys.call(frame), expand.dots = FALSE, envir = parent.frame(2L))
  formal_names <- names(formals(fn))
  supplied <- as.character(setdiff(intersect(names(call)[-1L], formal_names), c(ignore, "...")))
  args <- mget(supplied, envir = env)
  if ("..." %in% formal_names && !"..." %in% ignore) {
    dots <- eval(quote(list(...)), env)
    if (length(dots)) {
      nms <- names(dots)
      if (is.null(nms) || any(!nzchar(nms)))
        stop("All arguments passed in `...` must be named.", call. = FALSE)
      args[nms] <- dots
    }
  }
  for (name in intersect(names(args), names(modifiers))) {
    if (!is.null(args[[name]])) args[[name]] <- modifiers[[name]](args[[name]])
  }
  args
}

as_integer <- function(x) {
  if (is.null(x)) return(NULL)
  if (is.list(x)) return(lapply(x, as_integer))
  if (length(x) > 1L) return(as.list(as.integer(x)))
  as.integer(x)
}

# An int or a tuple of ints (Keras' normalize_tuple accepts either).
as_integer_tuple <- function(x) {
  if (is.null(x)) return(NULL)
  if (is.list(x)) return(lapply(x, as_integer))
  if (length(x) == 1L) return(as.integer(x))
  as.list(as.integer(x))
}

# Always a list, even for one value (a JSON array).
as_tuple <- function(x) {
  if (is.null(x)) return(NULL)
  if (is.list(x)) return(x)
  as.list(x)
}

# keras3's R axes are 1-based when positive; Keras' are 0-based.
as_axis <- function(axis) {
  if (is.null(axis)) return(NULL)
  if (is.list(axis) || length(axis) > 1L) return(lapply(axis, as_axis))
  axis <- as.integer(axis)
  if (axis == 0L) stop("`axis` argument is 1 based, received 0", call. = FALSE)
  if (axis > 0L) axis - 1L else axis
}

# A shape as a list of integers with NULL for unknown dimensions (NA, NULL
# or -1 in R).
normalize_shape <- function(shape) {
  if (is.null(shape)) return(NULL)
  if (inherits(shape, "kerascpp_tensor")) return(tensor_info(shape)$shape)
  dims <- if (is.list(shape)) shape else as.list(shape)
  lapply(dims, function(d) {
    if (is.null(d) || length(d) != 1L || is.na(d) || identical(as.numeric(d), -1)) NULL else as.integer(d)
  })
}

# Config values for C++: layer and optimizer objects become their pointers
# (serialized as config envelopes there), lists are walked.
to_config <- function(x) {
  if (is_keras_object(x)) return(ptr_of(x))
  if (is.list(x)) {
    attrs <- attributes(x)
    x <- lapply(x, to_config)
    if (!is.null(attrs$names)) names(x) <- attrs$names
  }
  x
}
