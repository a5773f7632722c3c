#' Generate predictions from a model
#'
#' Runs the model on `x` in batches and returns its outputs as R arrays.
#'
#' @param object A keras model.
#' @param x The input data: an R array (or vector) with samples along the
#'   first dimension, or for a model with several inputs a list of arrays
#'   (in the model's input order, or named by input name). Doubles,
#'   integers and logicals are converted to each input's dtype.
#' @param ... Ignored (keras3's `verbose`, `steps` and `callbacks` do not
#'   apply here).
#' @param batch_size The number of samples per batch (default 32).
#' @returns An array, or for a model with several outputs a list of arrays
#'   (named when the model's outputs are named).
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
#' predict(model, matrix(runif(12), 4, 3))
#' @export
predict.keras.src.models.model.Model <- function(object, x, ..., batch_size = NULL) {
  ptr <- ptr_of(object)
  inputs <- if (is.list(x) && !is.data.frame(x)) x else list(if (is.data.frame(x)) as.matrix(x) else x)
  outputs <- cpp_predict(ptr, inputs, if (is.null(batch_size)) 32L else as.integer(batch_size))
  if (length(outputs) == 1L) return(outputs[[1L]])
  io <- cpp_model_io(ptr)
  config_outputs <- cpp_layer_config(ptr)$output_layers
  if (is.list(config_outputs) && !is.null(names(config_outputs))) names(outputs) <- unlist(io$output_names)
  outputs
}

#' Configure a model for training
#'
#' Records the optimizer, loss and metrics, as Keras' `model.compile()`:
#' they are saved with the model (`compile_config` and the optimizer's
#' state), so a model compiled here trains on in Python where it was left.
#' keras-cpp cannot train yet (`fit()` and `evaluate()` are not available).
#'
#' @param object A keras model.
#' @param optimizer An optimizer name (`"rmsprop"`, `"adam"`, ...) or an
#'   optimizer object such as [optimizer_adam()].
#' @param loss A loss name (e.g. `"mse"`, `"categorical_crossentropy"`), or
#'   a list of them (named by output) for several outputs.
#' @param metrics A vector or list of metric names (e.g. `"accuracy"`).
#' @param ... Ignored.
#' @param loss_weights A list of weights for the losses of several outputs.
#' @param weighted_metrics Metrics weighted by sample weights.
#' @param run_eagerly,steps_per_execution,jit_compile,auto_scale_loss
#'   Recorded as given (`jit_compile = "auto"` resolves as Keras does).
#' @returns `object`, invisibly.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
#' model |> compile(optimizer = optimizer_adam(learning_rate = 0.01), loss = "mse", metrics = "mae")
#' @export
compile <- function(object, ...) UseMethod("compile")

#' @rdname compile
#' @export
compile.keras.src.models.model.Model <- function(object, optimizer = "rmsprop", loss = NULL, metrics = NULL, ...,
                                                 loss_weights = NULL, weighted_metrics = NULL, run_eagerly = FALSE,
                                                 steps_per_execution = 1L, jit_compile = "auto",
                                                 auto_scale_loss = TRUE) {
  as_names_list <- function(x) if (is.null(x) || is.list(x)) x else as.list(x)
  loss <- if (is.character(loss) && length(loss) > 1L) as.list(loss) else loss
  jit <- if (identical(jit_compile, "auto")) NULL else isTRUE(jit_compile)
  cpp_compile(ptr_of(object), to_config(optimizer), to_config(loss), to_config(as_names_list(loss_weights)),
              to_config(as_names_list(metrics)), to_config(as_names_list(weighted_metrics)), isTRUE(run_eagerly),
              as.numeric(steps_per_execution), jit, isTRUE(auto_scale_loss))
  invisible(object)
}

#' Print a summary of a model
#'
#' Shows keras-cpp's `Model::summary()` table: the layers, their output
#' shapes and parameter counts.
#'
#' @param object,x A keras model.
#' @param ... Ignored.
#' @returns `format()` returns the summary as one string, `summary()` that
#'   string invisibly after printing it, `print()` the model invisibly.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(5)
#' summary(model)
#' @export
summary.keras.src.models.model.Model <- function(object, ...) {
  writeLines(text <- format.keras.src.models.model.Model(object, ...))
  invisible(text)
}

#' @rdname summary.keras.src.models.model.Model
#' @export
format.keras.src.models.model.Model <- function(x, ...) {
  sub("\n+$", "", cpp_model_summary(ptr_of(x)))
}

#' @rdname summary.keras.src.models.model.Model
#' @export
print.keras.src.models.model.Model <- function(x, ...) {
  writeLines(format.keras.src.models.model.Model(x, ...))
  invisible(x)
}
