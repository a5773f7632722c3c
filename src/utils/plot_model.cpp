// keras.utils.model_to_dot / plot_model (keras/src/utils/model_visualization.py):
// the same nodes, labels, clusters and edges, laid out by Graphviz's `dot`
// program as pydot does for Keras.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "keras/utils.hpp"
#include "models/functional.hpp"
#include "models/node_inputs.hpp"
#include "models/sequential.hpp"
#include "saving/atomic_write.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawnp

namespace keras::utils {

namespace {

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Python's str() of a shape tuple: "(None, 4)", "(None,)", "()".
std::string py_tuple(const Shape& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += shape[i] < 0 ? "None" : std::to_string(shape[i]);
  }
  return out + (shape.size() == 1 ? ",)" : ")");
}

std::shared_ptr<Node> first_node(const Operation& op) {
  for (const auto& weak : op.inbound_nodes()) {
    if (auto node = weak.lock()) return node;
  }
  return nullptr;
}

const ModelImpl* as_model(const Operation* op) {
  if (dynamic_cast<const detail::FunctionalImpl*>(op) != nullptr ||
      dynamic_cast<const detail::SequentialImpl*>(op) != nullptr)
    return static_cast<const ModelImpl*>(op);
  return nullptr;
}

std::string class_name_of(const Operation& op) {
  if (const auto* layer = dynamic_cast<const Layer*>(&op)) return layer->python_class_name();
  return op.class_name();
}

std::optional<std::string> activation_name(const Operation& op) {
  if (!op.is_layer()) return std::nullopt;
  Json config;
  try {
    config = op.get_config();
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!config.is_object() || !config.contains("activation")) return std::nullopt;
  const Json& a = config.at("activation");
  if (a.is_string()) return a.get<std::string>();
  if (a.is_object()) {
    if (a.contains("config") && a.at("config").is_object() && a.at("config").contains("name") &&
        a.at("config").at("name").is_string())
      return a.at("config").at("name").get<std::string>();
    if (a.contains("class_name") && a.at("class_name").is_string()) return a.at("class_name").get<std::string>();
  }
  return std::nullopt;
}

// make_layer_label: an HTML table with the name and class on black, then
// white cells for the activation, shapes, dtype and a trainable badge.
std::string layer_label(const Operation& op, const PlotModelOptions& o) {
  const std::string class_name = class_name_of(op);
  const auto* layer = dynamic_cast<const Layer*>(&op);
  const int colspan_max = (o.show_dtype ? 1 : 0) + (o.show_trainable ? 1 : 0) + (o.show_shapes ? 2 : 0);
  const std::string colspan = std::to_string(std::max(1, colspan_max));
  std::string table = R"(<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">)";
  table += R"(<tr><td colspan=")" + colspan + R"(" bgcolor="black"><font point-size="16" color="white">)";
  if (o.show_layer_names)
    table += "<b>" + html_escape(op.name()) + "</b> (" + html_escape(class_name) + ")";
  else
    table += "<b>" + html_escape(class_name) + "</b>";
  table += "</font></td></tr>";
  if (o.show_layer_activations) {
    if (auto activation = activation_name(op))
      table += R"(<tr><td bgcolor="white" colspan=")" + colspan + R"("><font point-size="14">Activation: <b>)" +
               html_escape(*activation) + "</b></font></td></tr>";
  }
  std::vector<std::string> cols;
  const auto node = first_node(op);
  auto cell = [](const std::string& text) {
    return R"(<td bgcolor="white"><font point-size="14">)" + text + "</font></td>";
  };
  if (o.show_shapes) {
    std::string input_shape = "?";
    std::string output_shape = "?";
    if (node) {
      const auto inputs = detail::node_input_tensors(*node);
      if (inputs.size() == 1) {
        input_shape = py_tuple(inputs.front().shape());
      } else if (!inputs.empty()) {
        input_shape = "[";
        for (std::size_t i = 0; i < inputs.size(); ++i) input_shape += (i ? ", " : "") + py_tuple(inputs[i].shape());
        input_shape += "]";
      }
      if (node->output_specs.size() == 1) {
        output_shape = py_tuple(node->output_specs.front().shape);
      } else if (!node->output_specs.empty()) {
        output_shape = "[";
        for (std::size_t i = 0; i < node->output_specs.size(); ++i)
          output_shape += (i ? ", " : "") + py_tuple(node->output_specs[i].shape);
        output_shape += "]";
      }
    }
    if (class_name != "InputLayer") cols.push_back(cell("Input shape: <b>" + input_shape + "</b>"));
    cols.push_back(cell("Output shape: <b>" + output_shape + "</b>"));
  }
  if (o.show_dtype) {
    std::string dtype = "?";
    if (node && node->output_specs.size() == 1) {
      dtype = dtype_name(node->output_specs.front().dtype);
    } else if (node && !node->output_specs.empty()) {
      dtype = "[";
      for (std::size_t i = 0; i < node->output_specs.size(); ++i)
        dtype += (i ? ", '" : "'") + dtype_name(node->output_specs[i].dtype) + "'";
      dtype += "]";
    }
    cols.push_back(cell("Output dtype: <b>" + dtype + "</b>"));
  }
  if (o.show_trainable && layer != nullptr && !layer->weights().empty()) {
    cols.push_back(
        layer->trainable()
            ? R"(<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td>)"
            : R"(<td bgcolor="firebrick"><font point-size="14" color="white"><b>Non-trainable</b></font></td>)");
  }
  if (!cols.empty()) {
    table += "<tr>";
    for (const auto& c : cols) table += c;
    table += "</tr>";
  }
  return table + "</table>>";
}

std::string dot_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class DotBuilder {
 public:
  explicit DotBuilder(const PlotModelOptions& options) : o_(options) {}

  std::string graph(const ModelImpl& model, const std::string& indent) {
    std::string out;
    const auto* functional = dynamic_cast<const detail::FunctionalImpl*>(&model);
    const bool sequential = functional == nullptr;
    std::vector<const Operation*> layers;
    if (sequential) {
      for (const auto& l : model.layer_list()) layers.push_back(l.get());
    } else {
      for (const auto& op : functional->operations()) layers.push_back(op.get());
    }
    for (const Operation* layer : layers) {
      if (const ModelImpl* nested = o_.expand_nested ? as_model(layer) : nullptr) {
        out += indent + "subgraph " + dot_quote("cluster_" + nested->name()) + " {\n";
        out += indent + "  style=dashed;\n" + indent + "  label=" + dot_quote(nested->name()) + ";\n" + indent +
               "  labeljust=l;\n";
        out += graph(*nested, indent + "  ");
        out += indent + "}\n";
      } else {
        out += indent + id_of(layer) + " [label=" + layer_label(*layer, o_) +
               ", fontname=Helvetica, border=0, margin=0];\n";
      }
    }
    if (sequential && !o_.expand_nested) {
      for (std::size_t i = 0; i + 1 < layers.size(); ++i) out += edge(layers[i], layers[i + 1], indent);
      return out;
    }
    if (sequential && !layers.empty()) layers.erase(layers.begin());
    for (const Operation* layer : layers) {
      for (const auto& weak : layer->inbound_nodes()) {
        auto node = weak.lock();
        if (!node) continue;
        if (functional != nullptr && !functional->owns_node(node.get())) continue;
        const auto inputs = detail::node_input_tensors(*node);
        for (std::size_t input_index = 0; input_index < inputs.size(); ++input_index) {
          const Operation* source = inputs[input_index].node()->operation.get();
          int output_index = inputs[input_index].index();
          const Operation* destination = layer;
          if (o_.expand_nested) {
            while (const ModelImpl* m = as_model(source)) {
              const auto outs = m->outputs();
              if (output_index < 0 || static_cast<std::size_t>(output_index) >= outs.size()) break;
              source = outs[static_cast<std::size_t>(output_index)].node()->operation.get();
              output_index = outs[static_cast<std::size_t>(output_index)].index();
            }
            while (const ModelImpl* m = as_model(destination)) {
              if (dynamic_cast<const detail::FunctionalImpl*>(m) != nullptr) {
                const auto ins = m->inputs();
                if (input_index >= ins.size()) break;
                destination = ins[input_index].node()->operation.get();
              } else {
                const auto inner = m->layer_list();
                if (inner.empty()) break;
                destination = inner.front().get();
              }
            }
          }
          out += edge(source, destination, indent);
        }
      }
    }
    return out;
  }

 private:
  std::string id_of(const Operation* op) {
    auto [it, inserted] = ids_.emplace(op, "");
    if (inserted) it->second = "node_" + std::to_string(ids_.size() - 1);
    return it->second;
  }

  std::string edge(const Operation* source, const Operation* destination, const std::string& indent) {
    const std::string a = id_of(source);
    const std::string b = id_of(destination);
    if (!edges_.insert({a, b}).second) return "";
    return indent + a + " -> " + b + " [penwidth=2];\n";
  }

  const PlotModelOptions& o_;
  std::map<const Operation*, std::string> ids_;
  std::set<std::pair<std::string, std::string>> edges_;
};

// Runs `dot -T<format>` on `dot_text` and returns what it prints.
std::vector<std::byte> run_dot(const std::string& dot_text, const std::string& format) {
  const char* configured = std::getenv("KERAS_DOT");
  const std::string program = configured != nullptr && *configured != '\0' ? configured : "dot";
  std::array<int, 2> in{-1, -1};
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};
  auto close_all = [&] {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  };
  if (pipe2(in.data(), O_CLOEXEC) != 0 || pipe2(out.data(), O_CLOEXEC) != 0 || pipe2(err.data(), O_CLOEXEC) != 0) {
    close_all();
    throw IOError(std::string("plot_model: cannot create pipes for Graphviz: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  const std::string type_flag = "-T" + format;
  std::vector<char*> argv = {const_cast<char*>(program.c_str()), const_cast<char*>(type_flag.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    close_all();
    if (spawned == ENOENT)
      throw FileNotFoundError("plot_model needs Graphviz's `dot` program, which was not found (" + program +
                              "): install the Debian package 'graphviz', or set KERAS_DOT to its path");
    throw IOError("plot_model: cannot run " + program + ": " + std::strerror(spawned));
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  in[0] = out[1] = err[1] = -1;
  // A dot that exits early must not kill us with SIGPIPE: block it while writing.
  sigset_t pipe_set;
  sigset_t previous;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &previous);
  std::vector<std::byte> result;
  std::string messages;
  std::size_t written = 0;
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  while (out[0] >= 0 || err[0] >= 0) {
    std::vector<pollfd> fds;
    if (in[1] >= 0) fds.push_back({in[1], POLLOUT, 0});
    if (out[0] >= 0) fds.push_back({out[0], POLLIN, 0});
    if (err[0] >= 0) fds.push_back({err[0], POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in[1]) {
        const ssize_t n = write(in[1], dot_text.data() + written, dot_text.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) written = dot_text.size();
        if (written == dot_text.size()) {
          close(in[1]);
          in[1] = -1;
        }
        continue;
      }
      std::array<char, 65536> buffer{};
      const ssize_t n = read(p.fd, buffer.data(), buffer.size());
      if (n > 0) {
        if (p.fd == out[0]) {
          const auto* bytes = reinterpret_cast<const std::byte*>(buffer.data());
          result.insert(result.end(), bytes, bytes + n);
        } else {
          messages.append(buffer.data(), static_cast<std::size_t>(n));
        }
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(p.fd);
        (p.fd == out[0] ? out[0] : err[0]) = -1;
      }
    }
  }
  close_all();
  timespec no_wait{0, 0};
  while (sigtimedwait(&pipe_set, nullptr, &no_wait) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!messages.empty() && (messages.back() == '\n' || messages.back() == '\r')) messages.pop_back();
    for (auto& c : messages) {
      if (c == '\n') c = ' ';
    }
    throw ValueError("plot_model: Graphviz (" + program + " " + type_flag +
                     ") failed: " + (messages.empty() ? std::string("no message") : messages));
  }
  return result;
}

}  // namespace

std::string model_to_dot(const Model& model, const PlotModelOptions& options) {
  const ModelImpl& impl = model.impl();
  if (!impl.built())
    throw ValueError(
        "This model has not yet been built. Build the model first by calling `build()` or by calling the model on a "
        "batch of data.");
  static const std::set<std::string> rankdirs = {"TB", "LR", "BT", "RL"};
  if (rankdirs.count(options.rankdir) == 0)
    throw ValueError("rankdir must be one of TB, LR, BT, RL. Received: rankdir=" + options.rankdir);
  static const std::set<std::string> splines = {"ortho", "curved", "polyline", "spline",  "line",
                                                "true",  "false",  "none",     "compound"};
  if (splines.count(options.splines) == 0)
    throw ValueError("splines must be one of ortho, curved, polyline, spline, line. Received: splines=" +
                     options.splines);
  if (options.dpi <= 0) throw ValueError("dpi must be positive. Received: dpi=" + std::to_string(options.dpi));
  std::string out = "digraph G {\n";
  out += "  rankdir=" + options.rankdir + ";\n  concentrate=True;\n  dpi=" + std::to_string(options.dpi) +
         ";\n  splines=" + options.splines + ";\n  node [shape=record];\n";
  DotBuilder builder(options);
  const bool graph_model = as_model(&impl) != nullptr;
  if (graph_model) {
    out += builder.graph(impl, "  ");
  } else {
    // Subclassed models are one node, as in Keras.
    out += "  node_0 [label=" + layer_label(impl, options) + ", fontname=Helvetica, border=0, margin=0];\n";
  }
  return out + "}\n";
}

void plot_model(const Model& model, const std::filesystem::path& to_file, const PlotModelOptions& options) {
  const std::string dot_text = model_to_dot(model, options);
  std::string format = to_file.extension().string();
  format = format.empty() ? "png" : format.substr(1);
  for (char c : format) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != ':')
      throw ValueError("plot_model: '" + format + "' is not an output format (from " + to_file.string() + ")");
  }
  const auto bytes = run_dot(dot_text, format);
  saving::write_file_atomically(to_file, bytes);
}

}  // namespace keras::utils
