#include "saving/optimizer_state.hpp"

#include <iostream>

namespace keras::saving {

namespace {

void add_with_children(const std::string& path, const std::shared_ptr<Optimizer>& optimizer,
                       std::vector<std::pair<std::string, Optimizer*>>& out) {
  out.emplace_back(path, optimizer.get());
  for (const auto& [attribute, child] : optimizer->walk_children())
    add_with_children(path + "/" + attribute, child, out);
}

std::size_t stored_count(const std::vector<H5Group>& groups) {
  std::size_t n = 0;
  for (const auto& g : groups) n += g.children().size();
  return n;
}

}  // namespace

std::vector<std::pair<std::string, Optimizer*>> walk_optimizers(const ModelImpl& model) {
  std::vector<std::pair<std::string, Optimizer*>> out;
  if (model.optimizer) add_with_children("optimizer", model.optimizer, out);
  return out;
}

void save_optimizer_variables(const ModelImpl& model, const H5Group& root) {
  for (const auto& [path, optimizer] : walk_optimizers(model)) {
    H5Group vars = create_vars_group(root, path);
    vars.set_string_attr("name", optimizer->name());
    auto variables = optimizer->variables();
    for (std::size_t i = 0; i < variables.size(); ++i) vars.write_dataset(std::to_string(i), variables[i]->value());
  }
}

std::vector<OptimizerLoadFailure> load_optimizer_variables(const ModelImpl& model, const VarsGroupLookup& lookup) {
  std::vector<OptimizerLoadFailure> failures;
  for (const auto& [path, optimizer] : walk_optimizers(model)) {
    auto variables = optimizer->variables();
    auto groups = lookup(path);
    const std::size_t stored = stored_count(groups);
    if (stored != variables.size()) {
      std::string message = "Skipping variable loading for optimizer '" + optimizer->name() + "', because it has " +
                            std::to_string(variables.size()) + " variables whereas the saved optimizer has " +
                            std::to_string(stored) + " variables. ";
      if (variables.empty()) message += "This is likely because the optimizer has not been called/built yet.";
      std::cerr << "WARNING: " << message << "\n";
      continue;
    }
    const std::string object = "<" + optimizer->class_name() + " name=" + optimizer->name() + ">";
    try {
      assign_from_vars(variables, groups, path + "/vars", "optimizer variable");
    } catch (const UnsafeContentError&) {
      throw;
    } catch (const Error& e) {
      failures.push_back({object, e.what(), dynamic_cast<const ShapeMismatchError*>(&e) != nullptr});
    }
  }
  return failures;
}

void prepare_optimizer_for_file(ModelImpl& model, const H5Group& root) {
  if (!model.optimizer) return;
  const bool file_has_loss_scale = has_vars_group(root, "optimizer/inner_optimizer");
  if (file_has_loss_scale && dynamic_cast<optimizers::LossScaleOptimizer*>(model.optimizer.get()) == nullptr) {
    std::string name = "loss_scale_optimizer";
    if (auto stored = open_vars_group(root, "optimizer").string_attr("name")) name = *stored;
    model.optimizer = std::make_shared<optimizers::LossScaleOptimizer>(
        model.optimizer, optimizers::LossScaleOptimizerOptions{.name = name});
  }
  if (model.optimizer->built()) return;
  const auto trainable = model.trainable_variables();
  if (!model.built() && trainable.empty()) return;
  // An unbuilt optimizer holds only its own scalars; anything else (or no
  // group at all) means Keras built it at compile time.
  if (has_vars_group(root, "optimizer")) {
    const std::size_t stored = open_vars_group(root, "optimizer").children().size();
    if (stored == model.optimizer->variables().size()) return;
  }
  model.optimizer->build(trainable);
}

}  // namespace keras::saving
