// keras.layers.StackedRNNCells (keras/src/layers/rnn/stacked_rnn_cells.py).
#include <algorithm>

#include "layers/registrations.hpp"
#include "layers/rnn/cells.hpp"

namespace keras::detail {

StackedRNNCellsImpl::StackedRNNCellsImpl(std::vector<std::shared_ptr<RNNCellImpl>> cells, const LayerBaseOptions& base)
    : RNNCellImpl(base, "stacked_rnn_cells", CellCommon{}), cells_(std::move(cells)) {
  if (cells_.empty()) throw ValueError("StackedRNNCells needs at least one cell");
  for (const auto& cell : cells_)
    if (!cell) throw ValueError("StackedRNNCells: every cell must be a built-in RNN cell");
}

LayerPtr StackedRNNCellsImpl::from_config(const Json& config) {
  auto it = config.find("cells");
  if (it == config.end() || !it->is_array()) throw FormatError("StackedRNNCells config needs a list 'cells'");
  std::vector<std::shared_ptr<RNNCellImpl>> cells;
  for (const auto& entry : *it) {
    auto cell = std::dynamic_pointer_cast<RNNCellImpl>(layer_from_envelope(entry));
    if (!cell)
      throw NotImplementedError("StackedRNNCells cell class '" + entry.value("class_name", std::string("?")) +
                                "' is not supported by keras-cpp (built-in cells only)");
    cells.push_back(std::move(cell));
  }
  return std::make_shared<StackedRNNCellsImpl>(std::move(cells), base_options_from_config(config));
}

Json StackedRNNCellsImpl::get_config() const {
  Json config = base_config();
  Json cells = Json::array();
  for (const auto& cell : cells_) cells.push_back(envelope_of(*cell));
  config["cells"] = cells;
  return config;
}

std::vector<std::shared_ptr<Layer>> StackedRNNCellsImpl::layer_list() const { return {cells_.begin(), cells_.end()}; }

std::vector<Shape> StackedRNNCellsImpl::state_shapes() const {
  std::vector<Shape> out;
  for (const auto& cell : cells_) {
    auto s = cell->state_shapes();
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

std::size_t StackedRNNCellsImpl::output_state() const {
  std::size_t offset = 0;
  for (std::size_t i = 0; i + 1 < cells_.size(); ++i) offset += cells_[i]->state_shapes().size();
  return offset + cells_.back()->output_state();
}

void StackedRNNCellsImpl::build(const std::vector<Shape>& input_shapes) {
  // Each cell sees [batch, output size of the previous cell].
  Shape shape = input_shapes.at(0);
  for (const auto& cell : cells_) {
    cell->build_for({shape});
    const Shape out = cell->state_shapes().at(cell->output_state());
    shape = {shape.empty() ? kUnknownDim : shape.front()};
    shape.insert(shape.end(), out.begin(), out.end());
  }
}

Tensor StackedRNNCellsImpl::project_inputs(const Tensor& sequence) { return cells_.front()->project_inputs(sequence); }

std::vector<Tensor> StackedRNNCellsImpl::step(const Tensor& x_t, const std::vector<Tensor>& states) {
  std::vector<Tensor> next_states;
  Tensor projected = x_t;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    const auto& cell = cells_[i];
    const std::size_t n = cell->state_shapes().size();
    std::vector<Tensor> own(states.begin() + static_cast<std::ptrdiff_t>(offset),
                            states.begin() + static_cast<std::ptrdiff_t>(offset + n));
    std::vector<Tensor> next = cell->step(projected, own);
    if (i + 1 < cells_.size()) {
      // The next cell's input contribution for this single step: [B, F] -> [B, 1, F] -> [1, B, *] -> [B, *].
      const Tensor output = next.at(cell->output_state());
      Shape one_step = {output.dim(0), 1};
      one_step.insert(one_step.end(), output.shape().begin() + 1, output.shape().end());
      Tensor p = cells_[i + 1]->project_inputs(output.reshape(one_step));
      projected = p.reshape(Shape(p.shape().begin() + 1, p.shape().end()));
    }
    next_states.insert(next_states.end(), next.begin(), next.end());
    offset += n;
  }
  return next_states;
}

bool StackedRNNCellsImpl::has_tape() const {
  return std::all_of(cells_.begin(), cells_.end(), [](const auto& cell) { return cell->has_tape(); });
}

ad::Var StackedRNNCellsImpl::project_inputs_tape(const ad::Var& sequence, TapeVariables& variables) {
  return cells_.front()->project_inputs_tape(sequence, variables);
}

std::vector<ad::Var> StackedRNNCellsImpl::step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                                    TapeVariables& variables) {
  std::vector<ad::Var> next_states;
  ad::Var projected = x_t;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    const auto& cell = cells_[i];
    const std::size_t n = cell->state_shapes().size();
    std::vector<ad::Var> own(states.begin() + static_cast<std::ptrdiff_t>(offset),
                             states.begin() + static_cast<std::ptrdiff_t>(offset + n));
    std::vector<ad::Var> next = cell->step_tape(projected, own, variables);
    if (i + 1 < cells_.size()) {
      // As step(): the next cell's input contribution for this single step.
      const ad::Var& output = next.at(cell->output_state());
      Shape one_step = {output.dim(0), 1};
      one_step.insert(one_step.end(), output.shape().begin() + 1, output.shape().end());
      ad::Var p = cells_[i + 1]->project_inputs_tape(ad::reshape(output, one_step), variables);
      projected = ad::reshape(p, Shape(p.shape().begin() + 1, p.shape().end()));
    }
    next_states.insert(next_states.end(), next.begin(), next.end());
    offset += n;
  }
  return next_states;
}

bool StackedRNNCellsImpl::has_dropout() const {
  return std::any_of(cells_.begin(), cells_.end(), [](const auto& cell) { return cell->has_dropout(); });
}

// As Keras' RNN prepares a stack's masks: each cell's inputs are the previous cell's outputs.
void StackedRNNCellsImpl::begin_dropout(std::int64_t batch, const Shape& step_input) {
  end_dropout();
  Shape input = step_input;
  for (const auto& cell : cells_) {
    if (cell->has_dropout()) cell->begin_dropout(batch, input);
    input = cell->state_shapes().at(cell->output_state());
  }
}

void StackedRNNCellsImpl::end_dropout() {
  for (const auto& cell : cells_) cell->end_dropout();
}

}  // namespace keras::detail

namespace keras::layers {
StackedRNNCells::StackedRNNCells(const std::vector<LayerRef>& cells, const StackedRNNCellsOptions& options) {
  std::vector<std::shared_ptr<detail::RNNCellImpl>> impls;
  for (const auto& cell : cells) {
    auto impl = std::dynamic_pointer_cast<detail::RNNCellImpl>(cell.ptr());
    if (!impl)
      throw ValueError("keras::layers::StackedRNNCells needs built-in cells (SimpleRNNCell, LSTMCell, GRUCell)");
    impls.push_back(std::move(impl));
  }
  layer_ = std::make_shared<detail::StackedRNNCellsImpl>(
      std::move(impls), LayerBaseOptions{options.name, options.dtype, options.trainable});
}
}  // namespace keras::layers
