// Model.summary(): the table Keras 3 prints (keras/src/utils/summary_utils.py),
// laid out as the `rich` library renders it for Keras: fixed column widths
// shrunk evenly to the table width, words wrapped inside cells, words longer
// than a cell cut with "…", rows separated by rules.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "keras/models.hpp"
#include "keras/optimizers.hpp"
#include "models/functional.hpp"
#include "models/node_inputs.hpp"
#include "models/sequential.hpp"

namespace keras {

namespace {

// ------------------------------------------------------------------ text cells

// One character of a cell: its UTF-8 bytes and the terminal cells it takes.
struct Glyph {
  std::string bytes;
  int width = 1;
  bool space = false;
};

int glyph_width(char32_t c) {
  if (c >= 0x300 && c < 0x370) return 0;  // combining marks
  const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
                    (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                    (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) || (c >= 0x1F900 && c <= 0x1F9FF) ||
                    (c >= 0x20000 && c <= 0x3FFFD);
  return wide ? 2 : 1;
}

std::vector<Glyph> to_glyphs(const std::string& text) {
  std::vector<Glyph> out;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    n = std::min(n, text.size() - i);
    char32_t code = n == 1 ? lead : lead & (0x3F >> (n - 1));
    for (std::size_t k = 1; k < n; ++k) code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    Glyph g{text.substr(i, n), glyph_width(code), n == 1 && std::isspace(lead) != 0};
    out.push_back(std::move(g));
    i += n;
  }
  return out;
}

using Line = std::vector<Glyph>;

int cell_len(const Line& line) {
  int total = 0;
  for (const auto& g : line) total += g.width;
  return total;
}

std::string to_string(const Line& line) {
  std::string out;
  for (const auto& g : line) out += g.bytes;
  return out;
}

void rstrip(Line& line) {
  while (!line.empty() && line.back().space) line.pop_back();
}

// The first `width` cells of a line (rich's set_cell_size without padding).
void crop_cells(Line& line, int width) {
  int used = 0;
  std::size_t keep = 0;
  while (keep < line.size() && used + line[keep].width <= width) used += line[keep++].width;
  line.resize(keep);
}

// rich's Text.truncate with overflow="ellipsis".
void truncate_ellipsis(Line& line, int width) {
  if (cell_len(line) <= width) return;
  crop_cells(line, width - 1);
  line.push_back(Glyph{"…", 1, false});
}

enum class Justify { left, center, right };

// rich's Text.wrap for overflow="ellipsis": words (runs of non-space with
// their surrounding spaces) are moved to the next line when they do not fit;
// a word longer than the width stays whole on its own line and is cut.
std::vector<std::string> wrap_cell(const std::string& text, int width, Justify justify) {
  std::vector<std::string> result;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find('\n', begin);
    const Line glyphs = to_glyphs(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    // Words: leading spaces, non-spaces, trailing spaces.
    std::vector<std::size_t> breaks;
    std::size_t i = 0;
    int offset = 0;
    while (i < glyphs.size()) {
      const std::size_t start = i;
      while (i < glyphs.size() && glyphs[i].space) ++i;
      if (i == glyphs.size()) break;
      int stripped = 0;
      for (std::size_t k = start; k < i; ++k) stripped += glyphs[k].width;
      while (i < glyphs.size() && !glyphs[i].space) stripped += glyphs[i++].width;
      int full = stripped;
      while (i < glyphs.size() && glyphs[i].space) full += glyphs[i++].width;
      if (width - offset >= stripped) {
        offset += full;
      } else if (stripped > width) {
        if (start != 0) breaks.push_back(start);
        offset = full;
      } else if (offset != 0 && start != 0) {
        breaks.push_back(start);
        offset = full;
      }
    }
    breaks.push_back(glyphs.size());
    std::size_t from = 0;
    for (std::size_t cut : breaks) {
      Line line(glyphs.begin() + static_cast<std::ptrdiff_t>(from), glyphs.begin() + static_cast<std::ptrdiff_t>(cut));
      from = cut;
      // rstrip_end: drop trailing spaces that overflow the width.
      if (static_cast<int>(line.size()) > width) {
        std::size_t excess = line.size() - static_cast<std::size_t>(width);
        while (excess > 0 && !line.empty() && line.back().space) {
          line.pop_back();
          --excess;
        }
      }
      if (justify != Justify::left) rstrip(line);
      truncate_ellipsis(line, width);
      const int pad = width - cell_len(line);
      const int left = justify == Justify::right ? pad : justify == Justify::center ? pad / 2 : 0;
      result.push_back(std::string(static_cast<std::size_t>(left), ' ') + to_string(line) +
                       std::string(static_cast<std::size_t>(pad - left), ' '));
    }
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return result;
}

std::string repeat(const std::string& piece, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += piece;
  return out;
}

// A rich.table.Table(show_lines=True) with box.HEAVY_HEAD, fixed-width
// columns and a total width: each column takes its width plus one space of
// padding on each side; when that exceeds the table, the excess is taken
// from the columns evenly (rich's ratio_reduce, rounding half to even).
std::string render_table(const std::vector<std::string>& header, const std::vector<Justify>& justify,
                         const std::vector<int>& column_widths, int table_width,
                         const std::vector<std::vector<std::string>>& rows) {
  const auto n = static_cast<int>(header.size());
  std::vector<int> widths;
  for (int w : column_widths) widths.push_back(w + 2);
  const int available = table_width - (n + 1);
  int total = 0;
  for (int w : widths) total += w;
  if (total > available) {
    int remaining = total - available;
    int ratio_left = n;
    for (auto& w : widths) {
      const double share = static_cast<double>(remaining) / ratio_left;
      const int distributed = std::min(w, static_cast<int>(std::nearbyint(share)));
      w -= distributed;
      remaining -= distributed;
      --ratio_left;
    }
  }
  auto rule = [&](const char* left, const char* fill, const char* cross, const char* right) {
    std::string line = left;
    for (int c = 0; c < n; ++c) line += repeat(fill, widths[c]) + (c + 1 < n ? cross : right);
    return line + "\n";
  };
  auto row_lines = [&](const std::vector<std::string>& cells, const char* bar) {
    std::vector<std::vector<std::string>> wrapped;
    std::size_t height = 0;
    for (int c = 0; c < n; ++c) {
      wrapped.push_back(wrap_cell(cells[c], std::max(widths[c] - 2, 0), justify[c]));
      height = std::max(height, wrapped.back().size());
    }
    std::string out;
    for (std::size_t line = 0; line < height; ++line) {
      out += bar;
      for (int c = 0; c < n; ++c) {
        const auto inner = static_cast<std::size_t>(std::max(widths[c] - 2, 0));
        out += " " + (line < wrapped[c].size() ? wrapped[c][line] : std::string(inner, ' ')) + " " + bar;
      }
      out += "\n";
    }
    return out;
  };
  std::string out = rule("┏", "━", "┳", "┓");
  out += row_lines(header, "┃");
  out += rule("┡", "━", "╇", "┩");
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out += row_lines(rows[r], "│");
    if (r + 1 < rows.size()) out += rule("├", "─", "┼", "┤");
  }
  out += rule("└", "─", "┴", "┘");
  return out;
}

// ------------------------------------------------------------------ model content

// Python's "{:,}".
std::string with_thousands(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (value < 0 ? "-" : "") + out;
}

// summary_utils.format_layer_shape's format_shape: "(None, 3)", "(None)", "()".
std::string format_shape(const Shape& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += shape[i] < 0 ? "None" : std::to_string(shape[i]);
  }
  return out + ")";
}

std::string layer_output_shape(Operation& op) {
  std::shared_ptr<Node> last;
  for (const auto& weak : op.inbound_nodes()) {
    if (auto node = weak.lock()) last = node;
  }
  if (!last) {
    auto* layer = dynamic_cast<Layer*>(&op);
    if (layer == nullptr || layer->build_input_shapes().empty()) return "?";
    try {
      return format_shape(layer->compute_output_shape(layer->build_input_shapes().front()));
    } catch (const Error&) {
      return "?";
    }
  }
  if (last->output_specs.size() == 1) return format_shape(last->output_specs.front().shape);
  std::string out = "[";
  for (std::size_t i = 0; i < last->output_specs.size(); ++i)
    out += (i > 0 ? ", " : "") + format_shape(last->output_specs[i].shape);
  return out + "]";
}

int node_index_of(const KerasTensor& tensor) {
  const auto& nodes = tensor.node()->operation->inbound_nodes();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].lock() == tensor.node()) return static_cast<int>(i);
  }
  return 0;
}

// The nodes of a Functional's own graph grouped by Keras' depth (outputs at 0).
std::map<int, std::vector<const Node*>> nodes_by_depth(const detail::FunctionalImpl& model) {
  std::vector<const Node*> ordered;  // post-order: inputs first
  std::set<const Node*> seen;
  std::function<void(const Node*)> visit = [&](const Node* node) {
    if (!seen.insert(node).second) return;
    for (const auto& input : node->inputs) {
      if (model.owns_node(input.node().get())) visit(input.node().get());
    }
    ordered.push_back(node);
  };
  for (const auto& out : model.outputs()) {
    if (model.owns_node(out.node().get())) visit(out.node().get());
  }
  for (const auto& in : model.inputs()) {
    if (model.owns_node(in.node().get()) && seen.count(in.node().get()) == 0)
      ordered.insert(ordered.begin(), in.node().get());
  }
  std::map<const Node*, int> node_depth;
  std::map<const Operation*, int> op_depth;
  for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) {
    const Node* node = *it;
    int depth = std::max(node_depth[node], op_depth[node->operation.get()]);
    op_depth[node->operation.get()] = depth;
    node_depth[node] = depth;
    for (const auto& input : node->inputs) {
      const Node* parent = input.node().get();
      if (!model.owns_node(parent)) continue;
      node_depth[parent] = std::max(node_depth[parent], depth + 1);
    }
  }
  std::map<int, std::vector<const Node*>> by_depth;
  for (const Node* node : ordered) by_depth[node_depth[node]].push_back(node);
  return by_depth;
}

// print_summary's sequential_like test for Functional models: one node per
// depth, one input tensor per node, and no layer called twice.
bool functional_is_sequential_like(const detail::FunctionalImpl& model) {
  std::set<const Node*> nodes;
  const auto by_depth = nodes_by_depth(model);
  // Keras iterates the depths in insertion order (deepest first); the outcome does not depend on it.
  for (const auto& [depth, group] : by_depth) {
    if (group.size() > 1 || (group.size() == 1 && detail::node_input_tensors(*group.front()).size() > 1)) return false;
    nodes.insert(group.begin(), group.end());
  }
  for (const auto& layer : model.layer_list()) {
    int in_graph = 0;
    for (const auto& weak : layer->inbound_nodes()) {
      auto node = weak.lock();
      if (node && nodes.count(node.get()) != 0 && ++in_graph > 1) return false;
    }
  }
  return true;
}

std::string op_class_name(const Operation& op) {
  if (const auto* layer = dynamic_cast<const Layer*>(&op)) return layer->python_class_name();
  return op.class_name();
}

struct SummaryBuilder {
  const detail::FunctionalImpl* functional = nullptr;  // the summarized model, when Functional
  bool expand_nested = false;
  std::vector<SummaryRow>* rows = nullptr;

  std::vector<std::string> connections(const Operation& op) const {
    std::vector<std::string> out;
    for (const auto& weak : op.inbound_nodes()) {
      auto node = weak.lock();
      if (!node || functional == nullptr || !functional->owns_node(node.get())) continue;
      for (const auto& tensor : detail::node_input_tensors(*node))
        out.push_back(tensor.node()->operation->name() + "[" + std::to_string(node_index_of(tensor)) + "][" +
                      std::to_string(tensor.index()) + "]");
    }
    return out;
  }

  void add(Operation& op, int nesting) {
    SummaryRow row;
    row.nesting = nesting;
    row.name = op.name();
    row.class_name = op_class_name(op);
    row.output_shape = layer_output_shape(op);
    row.connected_to = connections(op);
    auto* layer = dynamic_cast<Layer*>(&op);
    row.built = layer == nullptr || layer->built();
    row.is_layer = layer != nullptr;
    if (layer != nullptr && layer->built()) row.params = layer->count_params();
    row.trainable = layer != nullptr && !layer->weights().empty() ? (layer->trainable() ? "Y" : "N") : "-";
    rows->push_back(row);
    if (expand_nested && layer != nullptr) {
      for (const auto& sub : layer->layer_list()) add(*sub, nesting + 1);
    }
  }
};

ParamCount count_of(const std::vector<VariablePtr>& variables) {
  ParamCount out;
  std::set<const Variable*> seen;
  for (const auto& v : variables) {
    if (!seen.insert(v.get()).second) continue;
    const std::int64_t n = shape_size(v->shape());
    out.count += n;
    out.bytes += static_cast<double>(n) * static_cast<double>(dtype_size(v->dtype()));
  }
  return out;
}

// shutil.get_terminal_size().columns: $COLUMNS, else the terminal of stdout, else 80.
int terminal_columns() {
  if (const char* env = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long value = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && value > 0 && value < 100000) return static_cast<int>(value);
  }
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

std::string readable_param_size(double bytes) {
  static const char* const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  for (const char* unit : units) {
    if (bytes / 1024 < 1) {
      char text[64];
      std::snprintf(text, sizeof(text), "%.2f %s", bytes, unit);
      return text;
    }
    bytes /= 1024;
  }
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f PB", bytes);
  return text;
}

ModelSummary Model::summarize(const SummaryOptions& options) const {
  ModelSummary summary;
  ModelImpl& model = impl();
  summary.name = model.name();
  SummaryBuilder builder;
  builder.expand_nested = options.expand_nested;
  builder.rows = &summary.rows;
  if (const auto* functional = dynamic_cast<const detail::FunctionalImpl*>(&model)) {
    summary.sequential_like = functional_is_sequential_like(*functional);
    // Connections are shown (and looked up) only when the table has the column.
    if (!summary.sequential_like) builder.functional = functional;
    for (const auto& op : functional->operations()) builder.add(*op, 0);
  } else {
    for (const auto& layer : model.layer_list()) builder.add(*layer, 0);
  }
  summary.trainable = count_of(model.trainable_variables());
  summary.non_trainable = count_of(model.non_trainable_variables());
  summary.total = summary.trainable;
  summary.total.count += summary.non_trainable.count;
  summary.total.bytes += summary.non_trainable.bytes;
  if (model.optimizer && model.optimizer->built()) {
    summary.optimizer = count_of(model.optimizer->variables());
    summary.total.count += summary.optimizer->count;
    summary.total.bytes += summary.optimizer->bytes;
  }
  return summary;
}

std::string Model::summary(const SummaryOptions& options) const {
  const ModelSummary s = summarize(options);
  int default_line_length = s.sequential_like ? 88 : 108;
  std::vector<double> positions =
      s.sequential_like ? std::vector<double>{0.45, 0.80, 1.0} : std::vector<double>{0.3, 0.56, 0.74, 1.0};
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  std::vector<Justify> justify = {Justify::left, Justify::left, Justify::right};
  if (!s.sequential_like) {
    header.emplace_back("Connected to");
    justify.push_back(Justify::left);
  }
  if (options.show_trainable) {
    default_line_length += 12;
    for (auto& p : positions) p *= 0.90;
    positions.push_back(1.0);
    header.emplace_back("Trainable");
    justify.push_back(Justify::center);
  }
  default_line_length = std::min(default_line_length, options.terminal_width.value_or(terminal_columns()) - 4);
  const int line_length = options.line_length.value_or(default_line_length);
  std::vector<int> widths;
  int current = 0;
  for (double p : positions) {
    const int width = static_cast<int>(p * line_length) - current;
    if (width < 4) throw ValueError("Insufficient console width to print summary.");
    widths.push_back(width);
    current += width;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : s.rows) {
    std::string prefix = r.nesting > 0 ? repeat("   ", r.nesting) + "└ " : "";
    std::vector<std::string> cells = {prefix + r.name + " (" + r.class_name + ")", r.output_shape,
                                      !r.is_layer ? "0"
                                      : r.built   ? with_thousands(r.params)
                                                  : "0 (unbuilt)"};
    if (!s.sequential_like) {
      std::string joined;
      for (const auto& c : r.connected_to) joined += (joined.empty() ? "" : ", ") + c;
      cells.push_back(joined.empty() ? "-" : joined);
    }
    if (options.show_trainable) cells.push_back(r.trainable);
    rows.push_back(std::move(cells));
  }
  std::string out = "Model: \"" + s.name + "\"\n";
  out += render_table(header, justify, widths, line_length, rows);
  auto line = [](const char* label, const ParamCount& c) {
    return std::string(" ") + label + ": " + with_thousands(c.count) + " (" + readable_param_size(c.bytes) + ")\n";
  };
  out += line("Total params", s.total);
  out += line("Trainable params", s.trainable);
  out += line("Non-trainable params", s.non_trainable);
  if (s.optimizer) out += line("Optimizer params", *s.optimizer);
  return out;
}

void Model::print_summary(const SummaryOptions& options) const { std::cout << summary(options); }

}  // namespace keras
