#' kerascpp: Keras 3 models in R without Python
#'
#' Builds, runs, saves and loads Keras 3 models in the native `.keras`
#' format with keras3's R API, on the keras-cpp C++ library: no Python,
#' TensorFlow or reticulate. Files written here load in Python and R Keras
#' 3.16; files Keras writes load here and predict the same numbers.
#'
#' Objects: layers and models are R functions (call one on a symbolic tensor
#' to connect it, as in keras3), symbolic tensors come from [keras_input()],
#' and data are plain R arrays. R arrays are indexed like Keras tensors:
#' `x[i, j, k]` is `x[i-1][j-1][k-1]` in Python.
#'
#' @keywords internal
#' @useDynLib kerascpp, .registration = TRUE
#' @importFrom Rcpp evalCpp
#' @importFrom stats predict
"_PACKAGE"
