// Shared pieces of the R glue: how R values become keras-cpp values and back,
// the external pointers that hold keras-cpp objects, and the guard that turns
// C++ exceptions into R conditions.
#pragma once

#include <Rcpp.h>

#include <keras/keras.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kerascpp {

// What an R layer or model object points at. Models are layers, as in Keras.
struct LayerBox {
  keras::LayerPtr layer;
};
using LayerXPtr = Rcpp::XPtr<LayerBox>;
using TensorXPtr = Rcpp::XPtr<keras::KerasTensor>;
using OptimizerXPtr = Rcpp::XPtr<std::shared_ptr<keras::Optimizer>>;

SEXP wrap_layer(keras::LayerPtr layer);
SEXP wrap_tensor(const keras::KerasTensor& tensor);
keras::LayerPtr layer_of(SEXP ptr);
keras::Model model_of(SEXP ptr);
keras::KerasTensor tensor_of(SEXP ptr);
bool is_layer_ptr(SEXP x);
bool is_tensor_ptr(SEXP x);
bool is_optimizer_ptr(SEXP x);

// R values <-> JSON: named lists are objects, unnamed lists arrays, length-1
// atomic vectors scalars (NA is null), longer ones arrays. Whole doubles
// become JSON integers, since Keras configs hold ints for counts and sizes.
// Layer and optimizer pointers become their config envelopes.
keras::Json json_from_r(SEXP x);
// JSON arrays become lists, objects named lists, null NULL.
SEXP json_to_r(const keras::Json& value);

// R arrays (column-major) <-> row-major tensors with the same indexing:
// x[i, j, k] in R is tensor[i-1][j-1][k-1]. Vectors without dim are 1-d.
// `target` converts the data (e.g. to a model input's dtype); without it
// doubles become float32, integers int32 and logicals bool.
keras::Tensor tensor_from_r(SEXP x, std::optional<keras::DType> target = std::nullopt);
SEXP tensor_to_r(const keras::Tensor& tensor);

// An R shape (numeric or list; NA, NULL or -1 for unknown) as a keras shape.
keras::Shape shape_from_r(SEXP x);
SEXP shape_to_r(const keras::Shape& shape);

// The R condition classes and message of a caught exception: keras-cpp's
// exception types become c("keras_<Type>", <base types>, "keras_error").
struct ErrorInfo {
  std::vector<std::string> classes;
  std::string message;
};
ErrorInfo describe_exception(const std::exception_ptr& error);
// stop()s with an R condition of those classes (through Rcpp's unwind
// protection, so the C++ frames in between unwind normally).
[[noreturn]] void signal_r_error(const ErrorInfo& info);

// Runs `body`, turning any C++ exception into an R condition once the C++
// frames below have unwound. R errors raised in R callbacks pass through.
template <typename F>
SEXP guarded(F&& body) {
  std::exception_ptr error;
  try {
    return body();
  } catch (const Rcpp::LongjumpException&) {
    throw;
  } catch (...) {
    error = std::current_exception();
  }
  ErrorInfo info = describe_exception(error);
  error = nullptr;
  signal_r_error(info);
}

}  // namespace kerascpp
