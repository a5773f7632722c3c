// Custom layers written in R (kerascpp's Layer()): a keras::Layer whose
// build, forward pass, output shape and config are R functions. keras-cpp
// calls them on the R thread while it builds, traces or runs a model.
#include <string>
#include <utility>

#include "glue.hpp"

namespace kerascpp {

namespace {

// Calls kerascpp:::rlayer_dispatch(self, method, args): the R side runs the
// method and returns list(value, error), so no R error unwinds through the
// keras-cpp frames that called in here.
SEXP call_r_method(SEXP self, const char* method, const Rcpp::List& args) {
  Rcpp::Environment ns = Rcpp::Environment::namespace_env("kerascpp");
  Rcpp::Function dispatch = ns["rlayer_dispatch"];
  Rcpp::List result = dispatch(self, method, args);
  SEXP error = result["error"];
  if (error != R_NilValue) throw keras::ValueError(Rcpp::as<std::string>(error));
  return result["value"];
}

class RLayer final : public keras::Layer {
 public:
  RLayer(const keras::LayerBaseOptions& base, std::string class_name, std::string registered_name, SEXP self)
      : keras::Layer(base, keras::to_snake_case(class_name)),
        class_name_(std::move(class_name)),
        registered_name_(std::move(registered_name)),
        self_(self) {
    R_PreserveObject(self_);
  }
  ~RLayer() override { R_ReleaseObject(self_); }
  RLayer(const RLayer&) = delete;
  RLayer& operator=(const RLayer&) = delete;

  std::string class_name() const override { return class_name_; }
  std::string module() const override { return ""; }  // written as null, as for Python classes of __main__
  // As Keras' get_registered_name(): "package>Name" once registered, else the class name.
  std::optional<std::string> registered_name() const override {
    return registered_name_.empty() ? class_name_ : registered_name_;
  }

  keras::Json get_config() const override {
    return json_from_r(call_r_method(self_, "get_config", Rcpp::List::create()));
  }

  keras::Shape compute_output_shape(const keras::Shape& input_shape) override {
    return shape_from_r(call_r_method(self_, "compute_output_shape", Rcpp::List::create(shape_to_r(input_shape))));
  }

  keras::Tensor forward(const keras::Tensor& input, bool training) override {
    Rcpp::RObject out(call_r_method(self_, "call", Rcpp::List::create(tensor_to_r(input), training)));
    return tensor_from_r(out, keras::DType::float32);
  }

  keras::VariablePtr add_weight_from_r(const std::string& name, const keras::Shape& shape,
                                       const keras::Json& initializer, bool trainable,
                                       std::optional<keras::DType> dtype) {
    return add_weight(name, shape, keras::initializers::get(initializer), trainable, dtype);
  }

 protected:
  void build(const std::vector<keras::Shape>& input_shapes) override {
    call_r_method(self_, "build", Rcpp::List::create(shape_to_r(input_shapes.at(0))));
  }

 private:
  std::string class_name_;
  std::string registered_name_;
  SEXP self_;
};

using WeakLayer = std::weak_ptr<keras::Layer>;

std::shared_ptr<RLayer> rlayer_of(SEXP weak) {
  auto* ptr = static_cast<WeakLayer*>(R_ExternalPtrAddr(weak));
  auto layer = ptr == nullptr ? nullptr : std::dynamic_pointer_cast<RLayer>(ptr->lock());
  if (!layer) throw keras::ValueError("This custom layer no longer exists");
  return layer;
}

}  // namespace

}  // namespace kerascpp

// Creates the C++ side of an R custom layer. Returns list(layer, handle):
// `layer` owns it (what the R layer object holds), `handle` is a weak
// reference for `self`, so that self -> layer -> self is no cycle.
// [[Rcpp::export]]
SEXP cpp_rlayer_new(SEXP self, std::string class_name, std::string registered_name, SEXP name, SEXP dtype,
                    bool trainable) {
  return kerascpp::guarded([&] {
    keras::LayerBaseOptions base;
    if (name != R_NilValue) base.name = Rcpp::as<std::string>(name);
    if (dtype != R_NilValue) base.dtype = Rcpp::as<std::string>(dtype);
    base.trainable = trainable;
    auto layer = std::make_shared<kerascpp::RLayer>(base, class_name, registered_name, self);
    Rcpp::XPtr<kerascpp::WeakLayer> handle(new kerascpp::WeakLayer(layer), true);
    return Rcpp::List::create(Rcpp::Named("layer") = kerascpp::wrap_layer(layer), Rcpp::Named("handle") = handle);
  });
}

// [[Rcpp::export]]
SEXP cpp_rlayer_add_weight(SEXP handle, std::string name, SEXP shape, SEXP initializer, bool trainable, SEXP dtype) {
  return kerascpp::guarded([&] {
    std::optional<keras::DType> d;
    if (dtype != R_NilValue) d = keras::dtype_from_name(Rcpp::as<std::string>(dtype));
    auto var = kerascpp::rlayer_of(handle)->add_weight_from_r(name, kerascpp::shape_from_r(shape),
                                                              kerascpp::json_from_r(initializer), trainable, d);
    Rcpp::XPtr<keras::VariablePtr> ptr(new keras::VariablePtr(std::move(var)), true, Rf_install("kerascpp_variable"),
                                       R_NilValue);
    return static_cast<SEXP>(ptr);
  });
}

// [[Rcpp::export]]
SEXP cpp_variable_value(SEXP variable) {
  return kerascpp::guarded([&] { return kerascpp::tensor_to_r((*Rcpp::XPtr<keras::VariablePtr>(variable))->value()); });
}

// [[Rcpp::export]]
SEXP cpp_rlayer_base_config(SEXP handle) {
  return kerascpp::guarded([&] { return kerascpp::json_to_r(kerascpp::rlayer_of(handle)->base_config()); });
}
