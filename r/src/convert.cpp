// R <-> keras-cpp conversions (JSON, tensors, shapes), the external pointers
// and the exception-to-condition translation.
#include <cmath>
#include <cstdint>
#include <limits>

#include "glue.hpp"

namespace kerascpp {

namespace {

const char* const kLayerTag = "kerascpp_layer";
const char* const kTensorTag = "kerascpp_tensor";

bool has_tag(SEXP x, const char* tag) {
  if (TYPEOF(x) != EXTPTRSXP) return false;
  SEXP t = R_ExternalPtrTag(x);
  return TYPEOF(t) == SYMSXP && std::string(CHAR(PRINTNAME(t))) == tag;
}

}  // namespace

SEXP wrap_layer(keras::LayerPtr layer) {
  LayerXPtr ptr(new LayerBox{std::move(layer)}, true, Rf_install(kLayerTag), R_NilValue);
  return ptr;
}

SEXP wrap_tensor(const keras::KerasTensor& tensor) {
  TensorXPtr ptr(new keras::KerasTensor(tensor), true, Rf_install(kTensorTag), R_NilValue);
  return ptr;
}

bool is_layer_ptr(SEXP x) { return has_tag(x, kLayerTag); }
bool is_tensor_ptr(SEXP x) { return has_tag(x, kTensorTag); }
bool is_optimizer_ptr(SEXP x) { return has_tag(x, "kerascpp_optimizer"); }

keras::LayerPtr layer_of(SEXP ptr) {
  if (!is_layer_ptr(ptr)) throw keras::ValueError("Expected a keras layer or model");
  auto* box = static_cast<LayerBox*>(R_ExternalPtrAddr(ptr));
  if (box == nullptr || !box->layer)
    throw keras::ValueError("This keras object is no longer valid (it was saved in an earlier R session)");
  return box->layer;
}

keras::Model model_of(SEXP ptr) {
  auto impl = std::dynamic_pointer_cast<keras::ModelImpl>(layer_of(ptr));
  if (!impl) throw keras::ValueError("Expected a keras model, got the layer '" + layer_of(ptr)->name() + "'");
  return keras::Model(impl);
}

keras::KerasTensor tensor_of(SEXP ptr) {
  if (!is_tensor_ptr(ptr)) throw keras::ValueError("Expected a symbolic tensor (from keras_input() or a layer call)");
  auto* t = static_cast<keras::KerasTensor*>(R_ExternalPtrAddr(ptr));
  if (t == nullptr)
    throw keras::ValueError("This symbolic tensor is no longer valid (it was saved in an earlier R session)");
  return *t;
}

// ------------------------------------------------------------------- JSON

namespace {

keras::Json scalar_json(SEXP x, R_xlen_t i) {
  switch (TYPEOF(x)) {
    case LGLSXP: {
      int v = LOGICAL(x)[i];
      return v == NA_LOGICAL ? keras::Json(nullptr) : keras::Json(v != 0);
    }
    case INTSXP: {
      int v = INTEGER(x)[i];
      return v == NA_INTEGER ? keras::Json(nullptr) : keras::Json(static_cast<std::int64_t>(v));
    }
    case REALSXP: {
      double v = REAL(x)[i];
      if (ISNA(v) || ISNAN(v)) return keras::Json(nullptr);
      if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15)
        return keras::Json(static_cast<std::int64_t>(v));
      return keras::Json(v);
    }
    case STRSXP: {
      SEXP s = STRING_ELT(x, i);
      return s == NA_STRING ? keras::Json(nullptr) : keras::Json(std::string(Rf_translateCharUTF8(s)));
    }
    default:
      throw keras::ValueError(std::string("Cannot convert an R value of type '") + Rf_type2char(TYPEOF(x)) +
                              "' to a Keras config value");
  }
}

}  // namespace

keras::Json json_from_r(SEXP x) {
  switch (TYPEOF(x)) {
    case NILSXP:
      return nullptr;
    case VECSXP: {
      SEXP names = Rf_getAttrib(x, R_NamesSymbol);
      const R_xlen_t n = Rf_xlength(x);
      if (names != R_NilValue) {
        keras::Json object = keras::Json::object();
        for (R_xlen_t i = 0; i < n; ++i) {
          std::string key = Rf_translateCharUTF8(STRING_ELT(names, i));
          if (key.empty()) throw keras::ValueError("Every element of a named list must have a name");
          object[key] = json_from_r(VECTOR_ELT(x, i));
        }
        return object;
      }
      keras::Json array = keras::Json::array();
      for (R_xlen_t i = 0; i < n; ++i) array.push_back(json_from_r(VECTOR_ELT(x, i)));
      return array;
    }
    case LGLSXP:
    case INTSXP:
    case REALSXP:
    case STRSXP: {
      const R_xlen_t n = Rf_xlength(x);
      if (n == 1 && Rf_getAttrib(x, R_DimSymbol) == R_NilValue) return scalar_json(x, 0);
      keras::Json array = keras::Json::array();
      for (R_xlen_t i = 0; i < n; ++i) array.push_back(scalar_json(x, i));
      return array;
    }
    case EXTPTRSXP:
      if (is_layer_ptr(x)) return keras::saving::serialize_operation(*layer_of(x));
      if (is_optimizer_ptr(x)) return (*OptimizerXPtr(x))->serialize();
      throw keras::ValueError("A symbolic tensor cannot be part of a layer's configuration");
    default:
      throw keras::ValueError(std::string("Cannot convert an R value of type '") + Rf_type2char(TYPEOF(x)) +
                              "' to a Keras config value");
  }
}

SEXP json_to_r(const keras::Json& value) {
  using Rcpp::wrap;
  switch (value.type()) {
    case keras::Json::value_t::null:
      return R_NilValue;
    case keras::Json::value_t::boolean:
      return Rf_ScalarLogical(value.get<bool>() ? 1 : 0);
    case keras::Json::value_t::number_integer:
    case keras::Json::value_t::number_unsigned: {
      const double d = value.get<double>();
      if (std::fabs(d) <= std::numeric_limits<int>::max()) return Rf_ScalarInteger(static_cast<int>(d));
      return Rf_ScalarReal(d);
    }
    case keras::Json::value_t::number_float:
      return Rf_ScalarReal(value.get<double>());
    case keras::Json::value_t::string:
      return Rf_mkString(value.get_ref<const std::string&>().c_str());
    case keras::Json::value_t::array: {
      Rcpp::List out(value.size());
      for (std::size_t i = 0; i < value.size(); ++i) {
        SEXP element = json_to_r(value[i]);
        out[i] = element;
      }
      return out;
    }
    case keras::Json::value_t::object: {
      Rcpp::List out(value.size());
      Rcpp::CharacterVector names(value.size());
      std::size_t i = 0;
      for (const auto& [key, element] : value.items()) {
        out[i] = json_to_r(element);
        names[i] = key;
        ++i;
      }
      out.attr("names") = names;
      return out;
    }
    default:
      return R_NilValue;
  }
}

// ------------------------------------------------------------------ shapes

keras::Shape shape_from_r(SEXP x) {
  keras::Shape shape;
  auto dim_of = [](double v) -> std::int64_t {
    if (ISNAN(v) || v == -1) return keras::kUnknownDim;
    if (v < 0 || v != std::floor(v)) throw keras::ValueError("Shape entries must be non-negative integers or NA");
    return static_cast<std::int64_t>(v);
  };
  if (TYPEOF(x) == VECSXP) {
    for (R_xlen_t i = 0; i < Rf_xlength(x); ++i) {
      SEXP e = VECTOR_ELT(x, i);
      if (e == R_NilValue) {
        shape.push_back(keras::kUnknownDim);
      } else if ((TYPEOF(e) == INTSXP || TYPEOF(e) == REALSXP || TYPEOF(e) == LGLSXP) && Rf_xlength(e) == 1) {
        shape.push_back(dim_of(Rf_asReal(e)));
      } else {
        throw keras::ValueError("Each shape entry must be a single integer, NA or NULL");
      }
    }
    return shape;
  }
  if (TYPEOF(x) == NILSXP) return shape;
  if (TYPEOF(x) != INTSXP && TYPEOF(x) != REALSXP && TYPEOF(x) != LGLSXP)
    throw keras::ValueError("A shape must be an integer vector or a list");
  for (R_xlen_t i = 0; i < Rf_xlength(x); ++i) {
    if (TYPEOF(x) == INTSXP) {
      int v = INTEGER(x)[i];
      shape.push_back(v == NA_INTEGER ? keras::kUnknownDim : dim_of(v));
    } else if (TYPEOF(x) == LGLSXP) {
      if (LOGICAL(x)[i] != NA_LOGICAL) throw keras::ValueError("A shape cannot hold TRUE or FALSE");
      shape.push_back(keras::kUnknownDim);
    } else {
      shape.push_back(dim_of(REAL(x)[i]));
    }
  }
  return shape;
}

SEXP shape_to_r(const keras::Shape& shape) {
  Rcpp::List out(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == keras::kUnknownDim) {
      out[i] = R_NilValue;
    } else {
      out[i] = Rf_ScalarInteger(static_cast<int>(shape[i]));
    }
  }
  return out;
}

// ----------------------------------------------------------------- tensors

namespace {

// Visits every element of an array of `shape` in row-major order, passing
// (row-major flat index, column-major flat index).
template <typename Visit>
void for_each_index(const keras::Shape& shape, Visit&& visit) {
  const std::size_t rank = shape.size();
  std::int64_t total = 1;
  for (auto d : shape) total *= d;
  if (total == 0) return;
  if (rank <= 1) {
    for (std::int64_t i = 0; i < total; ++i) visit(i, i);
    return;
  }
  std::vector<std::int64_t> col_stride(rank);
  col_stride[0] = 1;
  for (std::size_t k = 1; k < rank; ++k) col_stride[k] = col_stride[k - 1] * shape[k - 1];
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t col = 0;
  for (std::int64_t row = 0; row < total; ++row) {
    visit(row, col);
    for (std::size_t k = rank; k-- > 0;) {
      col += col_stride[k];
      if (++index[k] < shape[k]) break;
      col -= col_stride[k] * shape[k];
      index[k] = 0;
    }
  }
}

keras::Shape dims_of(SEXP x) {
  SEXP dim = Rf_getAttrib(x, R_DimSymbol);
  keras::Shape shape;
  if (dim == R_NilValue) {
    shape.push_back(static_cast<std::int64_t>(Rf_xlength(x)));
  } else {
    for (R_xlen_t i = 0; i < Rf_xlength(dim); ++i) shape.push_back(INTEGER(dim)[i]);
  }
  return shape;
}

[[noreturn]] void missing_value(keras::DType dtype) {
  throw keras::ValueError("NA or NaN values cannot be converted to a " + keras::dtype_name(dtype) + " tensor");
}

// Fills `out` (row-major, dtype T) from the R vector `x`.
template <typename T>
void fill_from_r(SEXP x, const keras::Shape& shape, T* out, keras::DType dtype) {
  constexpr bool floating = std::is_floating_point_v<T>;
  switch (TYPEOF(x)) {
    case REALSXP: {
      const double* in = REAL(x);
      for_each_index(shape, [&](std::int64_t row, std::int64_t col) {
        const double v = in[col];
        if constexpr (!floating) {
          if (!std::isfinite(v)) missing_value(dtype);
        }
        out[row] = static_cast<T>(v);
      });
      break;
    }
    case INTSXP:
    case LGLSXP: {
      const int* in = TYPEOF(x) == INTSXP ? INTEGER(x) : LOGICAL(x);
      for_each_index(shape, [&](std::int64_t row, std::int64_t col) {
        const int v = in[col];
        if (v == NA_INTEGER) {
          if constexpr (floating) {
            out[row] = std::numeric_limits<T>::quiet_NaN();
            return;
          } else {
            missing_value(dtype);
          }
        }
        out[row] = static_cast<T>(v);
      });
      break;
    }
    default:
      throw keras::ValueError(std::string("Cannot convert an R value of type '") + Rf_type2char(TYPEOF(x)) +
                              "' to a tensor: use a numeric, integer or logical array");
  }
}

template <typename In, typename Out>
void copy_to_column_major(const keras::Shape& shape, const In* in, Out* out) {
  for_each_index(shape, [&](std::int64_t row, std::int64_t col) { out[col] = static_cast<Out>(in[row]); });
}

}  // namespace

keras::Tensor tensor_from_r(SEXP x, std::optional<keras::DType> target) {
  using keras::DType;
  if (TYPEOF(x) != REALSXP && TYPEOF(x) != INTSXP && TYPEOF(x) != LGLSXP)
    throw keras::ValueError(std::string("Cannot convert an R value of type '") + Rf_type2char(TYPEOF(x)) +
                            "' to a tensor: use a numeric, integer or logical array");
  DType dtype = target.value_or(TYPEOF(x) == REALSXP  ? DType::float32
                                : TYPEOF(x) == INTSXP ? DType::int32
                                                      : DType::bool_);
  const keras::Shape shape = dims_of(x);
  // float16/bfloat16 and the unusual integer types are filled through a wider type.
  DType fill = dtype;
  switch (dtype) {
    case DType::float16:
    case DType::bfloat16:
      fill = DType::float32;
      break;
    case DType::int8:
    case DType::int16:
    case DType::uint8:
    case DType::uint16:
    case DType::uint32:
    case DType::uint64:
      fill = DType::int64;
      break;
    default:
      break;
  }
  keras::Tensor t(shape, fill);
  switch (fill) {
    case DType::float32:
      fill_from_r(x, shape, t.data<float>(), dtype);
      break;
    case DType::float64:
      fill_from_r(x, shape, t.data<double>(), dtype);
      break;
    case DType::int32:
      fill_from_r(x, shape, t.data<std::int32_t>(), dtype);
      break;
    case DType::int64:
      fill_from_r(x, shape, t.data<std::int64_t>(), dtype);
      break;
    case DType::bool_:
      fill_from_r(x, shape, t.data<std::uint8_t>(), dtype);
      for (std::int64_t i = 0; i < t.size(); ++i) t.data<std::uint8_t>()[i] = t.data<std::uint8_t>()[i] != 0;
      break;
    default:
      throw keras::NotImplementedError("Cannot convert R data to a " + keras::dtype_name(dtype) + " tensor");
  }
  return fill == dtype ? t : t.astype(dtype);
}

SEXP tensor_to_r(const keras::Tensor& tensor) {
  using keras::DType;
  const keras::Shape& shape = tensor.shape();
  const std::int64_t n = tensor.size();
  SEXP out = R_NilValue;
  switch (tensor.dtype()) {
    case DType::float32:
      out = PROTECT(Rf_allocVector(REALSXP, n));
      copy_to_column_major(shape, tensor.data<float>(), REAL(out));
      break;
    case DType::float64:
      out = PROTECT(Rf_allocVector(REALSXP, n));
      copy_to_column_major(shape, tensor.data<double>(), REAL(out));
      break;
    case DType::float16:
    case DType::bfloat16:
      return tensor_to_r(tensor.astype(DType::float32));
    case DType::int8:
    case DType::int16:
    case DType::int32:
    case DType::uint8:
    case DType::uint16: {
      out = PROTECT(Rf_allocVector(INTSXP, n));
      int* o = INTEGER(out);
      for_each_index(shape, [&](std::int64_t row, std::int64_t col) { o[col] = static_cast<int>(tensor.at(row)); });
      break;
    }
    case DType::bool_: {
      out = PROTECT(Rf_allocVector(LGLSXP, n));
      int* o = LOGICAL(out);
      for_each_index(shape, [&](std::int64_t row, std::int64_t col) { o[col] = tensor.at(row) != 0 ? 1 : 0; });
      break;
    }
    default: {  // int64, uint32, uint64: doubles hold them exactly up to 2^53
      out = PROTECT(Rf_allocVector(REALSXP, n));
      double* o = REAL(out);
      for_each_index(shape, [&](std::int64_t row, std::int64_t col) { o[col] = tensor.at(row); });
      break;
    }
  }
  if (!shape.empty()) {
    SEXP dim = PROTECT(Rf_allocVector(INTSXP, static_cast<R_xlen_t>(shape.size())));
    for (std::size_t i = 0; i < shape.size(); ++i) INTEGER(dim)[i] = static_cast<int>(shape[i]);
    Rf_setAttrib(out, R_DimSymbol, dim);
    UNPROTECT(1);
  }
  UNPROTECT(1);
  return out;
}

// ------------------------------------------------------------------ errors

ErrorInfo describe_exception(const std::exception_ptr& error) {
  ErrorInfo info;
  auto add = [&](const char* name) { info.classes.push_back(std::string("keras_") + name); };
  try {
    std::rethrow_exception(error);
  } catch (const keras::Error& e) {
    info.message = e.what();
    if (dynamic_cast<const keras::ShapeMismatchError*>(&e)) add("ShapeMismatchError");
    if (dynamic_cast<const keras::ValueError*>(&e)) add("ValueError");
    if (dynamic_cast<const keras::FormatError*>(&e)) add("FormatError");
    if (dynamic_cast<const keras::UnknownObjectError*>(&e)) add("UnknownObjectError");
    if (dynamic_cast<const keras::UnsafeContentError*>(&e)) add("UnsafeContentError");
    if (dynamic_cast<const keras::FileExistsError*>(&e)) add("FileExistsError");
    if (dynamic_cast<const keras::FileNotFoundError*>(&e)) add("FileNotFoundError");
    if (dynamic_cast<const keras::IOError*>(&e)) add("IOError");
    if (dynamic_cast<const keras::NotImplementedError*>(&e)) add("NotImplementedError");
    info.classes.emplace_back("keras_error");
  } catch (const Rcpp::exception& e) {
    info.message = e.what();
  } catch (const std::exception& e) {
    info.message = e.what();
  } catch (...) {
    info.message = "unknown C++ exception";
  }
  return info;
}

void signal_r_error(const ErrorInfo& info) {
  Rcpp::CharacterVector classes(info.classes.begin(), info.classes.end());
  classes.push_back("error");
  classes.push_back("condition");
  Rcpp::List condition = Rcpp::List::create(Rcpp::Named("message") = info.message, Rcpp::Named("call") = R_NilValue);
  condition.attr("class") = classes;
  Rcpp::Function stop = Rcpp::Environment::base_env()["stop"];
  stop(condition);
  throw std::logic_error("stop() returned");  // not reached: stop() unwinds to R
}

}  // namespace kerascpp
