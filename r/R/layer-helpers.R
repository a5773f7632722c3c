# Shared machinery of the layer_* functions with unusual inputs.

# Merging layers take a list of tensors, or the tensors as unnamed
# arguments; named arguments in `...` are layer arguments.
merge_layer <- function(class_name, inputs, args, ...) {
  dots <- list(...)
  named <- if (is.null(names(dots))) rep(FALSE, length(dots)) else nzchar(names(dots))
  if (!is.null(inputs) && !is.list(inputs)) inputs <- list(inputs)
  inputs <- c(inputs, dots[!named])
  args <- c(args, dots[named])
  layer <- create_layer(class_name, NULL, args)
  if (length(inputs)) layer(inputs) else layer
}

# MultiHeadAttention and GroupQueryAttention take query, value (and key) as
# separate call arguments: a list is spread over them, as in keras3.
attention_layer <- function(class_name, inputs, args) {
  layer <- create_layer(class_name, NULL, args)
  if (is.null(inputs)) return(layer)
  if (!is.list(inputs)) inputs <- list(inputs)
  do.call(layer, unname(inputs))
}

# Reshape's target shape: always a list; -1 (or NA) marks the inferred entry.
as_target_shape <- function(x) {
  lapply(as.list(x), function(d) if (is.null(d) || is.na(d)) -1L else as.integer(d))
}

# Padding and cropping: one integer, or a pair or a list of pairs.
as_padding <- function(x) {
  if (is.list(x)) return(lapply(x, function(e) if (length(e) == 1L) as.integer(e) else as.list(as.integer(e))))
  if (length(x) == 1L) return(as.integer(x))
  as.list(as.integer(x))
}
