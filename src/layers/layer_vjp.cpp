// Backward passes of layers through the keras::ad tape: call_vjp() runs the
// layer's call_tape() on leaves for its inputs and variables and pulls the
// output gradients back with one reverse sweep.
#include <algorithm>

#include "keras/layer.hpp"
#include "keras/variable.hpp"

namespace keras {

ad::Var TapeVariables::operator()(const VariablePtr& variable) {
  if (!variable) throw ValueError("TapeVariables: undefined variable");
  for (const auto& [v, leaf] : leaves_)
    if (v == variable) return leaf;
  for (const auto& [v, value] : constants_)
    if (v == variable.get()) return value;
  const Tensor& value = variable->value();
  const bool wanted = std::find(trainable_.begin(), trainable_.end(), variable) != trainable_.end();
  if (wanted && variable->trainable() && is_floating(value.dtype())) {
    ad::Var leaf = ad::leaf(value.astype(DType::float32));
    leaves_.emplace_back(variable, leaf);
    return leaf;
  }
  ad::Var constant(value);
  constants_.emplace_back(variable.get(), constant);
  return constant;
}

const ad::Var& tape_arg(const CallArgs& args, const std::vector<ad::Var>& tensors, std::size_t i) {
  if (i >= args.args.size() || !CallArgs::is_ref(args.args[i]))
    throw ValueError("call_tape: positional argument " + std::to_string(i) + " is not a tensor");
  return tensors.at(args.args[i].at("__tensor__").get<std::size_t>());
}

std::vector<ad::Var> tape_arg_list(const CallArgs& args, const std::vector<ad::Var>& tensors, std::size_t i) {
  if (i >= args.args.size()) throw ValueError("call_tape: missing positional argument " + std::to_string(i));
  const Json& a = args.args[i];
  if (CallArgs::is_ref(a)) return {tensors.at(a.at("__tensor__").get<std::size_t>())};
  std::vector<ad::Var> out;
  for (const auto& item : a) {
    if (!CallArgs::is_ref(item)) throw ValueError("call_tape: argument " + std::to_string(i) + " is not a tensor list");
    out.push_back(tensors.at(item.at("__tensor__").get<std::size_t>()));
  }
  return out;
}

ad::Var tape_kwarg(const CallArgs& args, const std::vector<ad::Var>& tensors, const std::string& key) {
  auto it = args.kwargs.find(key);
  if (it == args.kwargs.end() || !CallArgs::is_ref(*it)) return {};
  return tensors.at(it->at("__tensor__").get<std::size_t>());
}

ad::Var Layer::forward_tape(const ad::Var& /*input*/, TapeVariables& /*variables*/, bool /*training*/) {
  throw NotImplementedError("keras-cpp has no backward pass for " + class_name() + " '" + name() +
                            "': a model cannot be trained through it");
}

std::vector<ad::Var> Layer::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                      TapeVariables& variables) {
  return {forward_tape(tape_arg(args, tensors), variables, args.training)};
}

VjpResult Layer::call_vjp(const CallArgs& args) {
  std::vector<ad::Var> inputs;
  inputs.reserve(args.tensors.size());
  for (const auto& t : args.tensors)
    inputs.push_back(is_floating(t.dtype()) ? ad::leaf(t.astype(DType::float32)) : ad::Var(t));
  auto variables = std::make_shared<TapeVariables>(trainable_variables());
  std::vector<ad::Var> outputs = call_tape(args, inputs, *variables);
  VjpResult result;
  for (const auto& o : outputs) result.outputs.push_back(o.value());
  result.pullback = [inputs, outputs, variables](const std::vector<Tensor>& output_grads) {
    std::vector<ad::Var> wrt;
    for (const auto& in : inputs)
      if (in.requires_grad()) wrt.push_back(in);
    for (const auto& [variable, leaf] : variables->leaves()) wrt.push_back(leaf);
    std::vector<ad::Var> seeded;
    std::vector<Tensor> seeds;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      if (i < output_grads.size() && output_grads[i].defined() && outputs[i].requires_grad()) {
        seeded.push_back(outputs[i]);
        seeds.push_back(output_grads[i]);
      }
    }
    std::vector<Tensor> grads = seeded.empty() ? std::vector<Tensor>() : ad::gradients(seeded, seeds, wrt);
    Gradients out;
    std::size_t next = 0;
    for (const auto& in : inputs) {
      out.inputs.push_back(in.requires_grad() && !grads.empty() ? grads[next] : Tensor());
      if (in.requires_grad()) ++next;
    }
    for (const auto& [variable, leaf] : variables->leaves())
      out.variables.emplace_back(variable, grads.empty() ? Tensor::zeros(variable->shape()) : grads[next++]);
    return out;
  };
  return result;
}

}  // namespace keras
