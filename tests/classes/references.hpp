// Building blocks for the class table's rows: configs derived from Keras'
// source, and forward references (naive loops, the C++ standard library's
// functions, hand-computed values) with their tolerances.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "classes/class_table.hpp"

namespace keras_test::classes {

// ------------------------------------------------------------- configs

// The envelope Keras' auto config writes for a raw op constructed with
// `params` (name first, then the constructor arguments in signature order),
// as keras/src/ops/<file> defines it: `file` is "numpy.py", "nn.py", ...
ConfigReference op_config(const std::string& file, const std::string& class_name, Json params = Json::object());
// A public class's envelope: module "keras.<module>", registered_name null.
ConfigReference public_config(const std::string& source, const std::string& module, const std::string& class_name,
                              Json config);

// ------------------------------------------------------------ forwards

// Elementwise raw ops against a double-precision reference, on inputs drawn
// uniformly from [lo, hi].
ForwardReference unary_op(const std::string& class_name, const std::function<double(double)>& reference,
                          double lo = -3.0, double hi = 3.0, double atol = 1e-6, double rtol = 1e-5,
                          const Json& params = Json::object());
ForwardReference binary_op(const std::string& class_name, const std::function<double(double, double)>& reference,
                           double lo = -3.0, double hi = 3.0, double atol = 1e-6, double rtol = 1e-5);
// Reductions over axis 1 of a [3, 4, 5] tensor, naive loops.
ForwardReference reduction_op(const std::string& class_name,
                              const std::function<double(const std::vector<double>&)>& reduce, const Json& params,
                              double atol = 1e-5, double rtol = 1e-5);
// Anything else: a check returning the largest tolerance excess.
ForwardReference computed(const std::string& reference, double atol, double rtol,
                          std::function<double(const ForwardReference&)> check);

// Logical raw ops on inputs with zeros among them.
ForwardReference logical_op(const std::string& class_name, const std::function<bool(bool, bool)>& reference);
ForwardReference logical_not_reference();
ForwardReference all_reference();
ForwardReference log_softmax_reference();
ForwardReference stack_reference();
// ZerosLike / OnesLike: `value` in the input's shape, in the input's dtype or a given one.
ForwardReference full_like_reference(const std::string& class_name, float value);
double population_variance(const std::vector<double>& values);

// Layers without a fixture: RNN(SimpleRNNCell) and ConvLSTM3D (1x1x1
// kernels, so every voxel is an LSTM) against naive loops.
ForwardReference rnn_reference();
ForwardReference conv_lstm3d_reference();

// Initializers: exact values, or the moments of 60000 draws of a [200, 300]
// kernel (fan_in 200, fan_avg 250): sample mean within 0.02 stddev, stddev
// within 3%, every |x| <= bound.
inline constexpr double kFanIn = 200.0;
inline constexpr double kFanAvg = 250.0;
ForwardReference constant_initializer(const std::string& class_name, double value, const Json& config = Json::object());
ForwardReference moments(const std::string& class_name, const Json& config, double mean, double stddev, double bound);
ForwardReference orthogonal_reference();
ForwardReference identity_initializer_reference();
// A VarianceScaling preset's envelope (seed and axes only).
ConfigReference preset_config(const std::string& class_name);

// Optimizers: the envelope of a default-constructed optimizer (learning_rate
// as Keras writes the float32 variable: 0.001 -> 0.0010000000474974513), and
// one or two update steps of w = [1, -2, 3], g = [0.5, -0.25, 2] computed by
// hand in double, within 1e-6 + 1e-5 |w|.
ConfigReference optimizer_config(const std::string& source, const std::string& class_name, Json own_keys,
                                 double learning_rate = 0.0010000000474974513);
ForwardReference adamax_reference();
ForwardReference lion_reference();
ForwardReference adadelta_reference();
ForwardReference ftrl_reference();
ForwardReference loss_scale_reference();

// Schedules: the envelope Keras writes, and rates at given steps by Keras'
// formulas, within 1e-7.
ConfigReference schedule_config(const std::string& class_name, Json config);
ForwardReference schedule_reference(const std::string& class_name, Json config,
                                    const std::vector<std::pair<std::int64_t, double>>& expected);

// Issue 10's classes that no Keras fixture holds: TernaryDense and the
// STFT initializer against naive loops in double, Equalization (training)
// against a naive loop of Keras' algorithm, MaxNumBoundingBoxes on images.
ForwardReference ternary_dense_reference();
ForwardReference equalization_reference();
ForwardReference max_num_bounding_boxes_reference();
ForwardReference stft_initializer_reference();

// The largest violation of |a - e| <= atol + rtol |e| over two tensors
// (0 when all fit; infinity for a shape mismatch or NaN).
double excess(const keras::Tensor& actual, const keras::Tensor& expected, double atol, double rtol);

}  // namespace keras_test::classes
