#' Save a model as a `.keras` file
#'
#' Writes the model's configuration (architecture), its weights and its
#' optimizer's state (if compiled) into a `.keras` zip archive, the file
#' format of Keras 3: it loads with [load_model()], in Python Keras and in
#' keras3, in exactly this state.
#'
#' @param model A keras model.
#' @param filepath Where to save the model; must end in `.keras`. `NULL`
#'   returns the archive as a raw vector instead.
#' @param overwrite Whether to replace an existing file. When `FALSE` and the
#'   file exists, an interactive session asks; otherwise it is an error.
#' @param zipped Whether to write a zip archive (`NULL`, the default, does
#'   for local paths) or, with `FALSE`, an unzipped directory.
#' @param ... For forward/backward compatibility; ignored.
#' @returns `model`, invisibly, or the archive as a raw vector when
#'   `filepath` is `NULL`.
#' @seealso [load_model()], [save_model_weights()], [save_model_config()]
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |>
#'   layer_dense(5) |>
#'   layer_activation_softmax()
#' path <- tempfile(fileext = ".keras")
#' model |> save_model(path)
#' loaded_model <- load_model(path)
#' x <- random_uniform(c(10, 3))
#' stopifnot(all.equal(model |> predict(x), loaded_model |> predict(x)))
#' if (requireNamespace("zip", quietly = TRUE)) zip::zip_list(path)[, "filename"]
#' @export
save_model <- function(model, filepath = NULL, overwrite = FALSE, zipped = NULL, ...) {
  if (is.null(filepath)) return(cpp_save_model_bytes(ptr_of(model)))
  overwrite <- confirm_overwrite(filepath, overwrite)
  cpp_save_model(ptr_of(model), path.expand(filepath), isTRUE(overwrite), zipped)
  invisible(model)
}

#' Load a model saved with `save_model()`
#'
#' Reads a `.keras` archive (a path or a raw vector from
#' `save_model(model)`), an unzipped model directory, or a legacy Keras `.h5`
#' file, and restores the model in the state it was saved in (architecture,
#' weights, compile configuration and optimizer state).
#'
#' @param model A path, or a raw vector holding a `.keras` archive.
#' @param custom_objects A named list of custom object factories (see
#'   [register_keras_serializable()]) to resolve while loading.
#' @param compile Whether to compile the model as it was saved.
#' @param safe_mode Kept for keras3 compatibility: keras-cpp never runs code
#'   from a file, so `Lambda` layers are always refused.
#' @returns A keras model.
#' @seealso [save_model()]
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
#' bytes <- save_model(model)
#' restored <- load_model(bytes)
#' @export
load_model <- function(model, custom_objects = NULL, compile = TRUE, safe_mode = TRUE) {
  with_custom_object_scope(custom_objects, {
    if (is.raw(model)) {
      new_layer_object(cpp_load_model_bytes(model, isTRUE(compile), isTRUE(safe_mode)))
    } else {
      new_layer_object(cpp_load_model(path.expand(model), isTRUE(compile), isTRUE(safe_mode)))
    }
  })
}

#' Save and load a model's weights
#'
#' `save_model_weights()` writes the model's variables (and its optimizer's)
#' into a `.weights.h5` file, the format of Keras' `model.save_weights()`;
#' `load_model_weights()` reads a `.weights.h5` file, a sharded
#' `.weights.json` set, or the weights of a `.keras` archive into a model of
#' the same architecture.
#'
#' @param model A keras model.
#' @param filepath The weights file; for saving it must end in `.weights.h5`
#'   (or `.weights.json` with `max_shard_size`).
#' @param overwrite Whether to replace an existing file (an interactive
#'   session asks otherwise).
#' @param max_shard_size A size in GB: the weights are split into shards of
#'   at most this size (`filepath` must then end in `.weights.json`).
#' @param skip_mismatch Whether to skip layers whose weights do not fit,
#'   with a warning, instead of failing.
#' @param ... Ignored.
#' @returns `model`, invisibly.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
#' path <- tempfile(fileext = ".weights.h5")
#' save_model_weights(model, path)
#' load_model_weights(model, path)
#' @export
save_model_weights <- function(model, filepath, overwrite = FALSE, max_shard_size = NULL) {
  overwrite <- confirm_overwrite(filepath, overwrite)
  cpp_save_weights(ptr_of(model), path.expand(filepath), isTRUE(overwrite), max_shard_size)
  invisible(model)
}

#' @rdname save_model_weights
#' @export
load_model_weights <- function(model, filepath, skip_mismatch = FALSE, ...) {
  cpp_load_weights(ptr_of(model), path.expand(filepath), isTRUE(skip_mismatch))
  invisible(model)
}

#' Save and load a model's configuration
#'
#' The architecture alone, as the JSON of Keras' `model.to_json()`, without
#' weights: `load_model_config()` builds a fresh model from it.
#'
#' @param model A keras model.
#' @param filepath The JSON file.
#' @param overwrite Whether to replace an existing file (an interactive
#'   session asks otherwise).
#' @param custom_objects A named list of custom object factories to resolve
#'   while loading.
#' @returns `save_model_config()` returns `model` invisibly,
#'   `load_model_config()` a new model.
#' @examples
#' model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2)
#' path <- tempfile(fileext = ".json")
#' save_model_config(model, path)
#' fresh <- load_model_config(path)
#' @export
save_model_config <- function(model, filepath = NULL, overwrite = FALSE) {
  if (is.null(filepath)) stop("`filepath` must be a path", call. = FALSE)
  overwrite <- confirm_overwrite(filepath, overwrite)
  cpp_save_model_config(ptr_of(model), path.expand(filepath), isTRUE(overwrite))
  invisible(model)
}

#' @rdname save_model_config
#' @export
load_model_config <- function(filepath, custom_objects = NULL) {
  with_custom_object_scope(custom_objects, {
    new_layer_object(cpp_load_model_config(path.expand(filepath)))
  })
}

# As keras3: an existing file is replaced only with overwrite = TRUE or a
# "yes" in an interactive session.
confirm_overwrite <- function(filepath, overwrite) {
  if (isTRUE(overwrite)) return(TRUE)
  if (!file.exists(filepath)) return(overwrite)
  if (interactive())
    overwrite <- utils::askYesNo(sprintf("File '%s' already exists - overwrite?", filepath), default = FALSE)
  if (!isTRUE(overwrite))
    stop("File '", filepath, "' already exists (pass overwrite = TRUE to force save).", call. = FALSE)
  TRUE
}
