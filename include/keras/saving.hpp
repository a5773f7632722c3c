// keras.saving: save_model / load_model and friends, and the object registry
// that maps Keras' module + class_name + registered_name to C++ factories.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/json.hpp"
#include "keras/layer.hpp"
#include "keras/limits.hpp"
#include "keras/models.hpp"
#include "keras/optimizers.hpp"
#include "keras/registry.hpp"

namespace keras {

// Decides whether an existing target may be replaced (the R/Python prompt).
using OverwriteCallback = std::function<bool(const std::filesystem::path&)>;

struct SaveModelOptions {
  // false: an existing target is only replaced when `confirm_overwrite` (or,
  // without one, the user at a terminal) says yes.
  bool overwrite = false;
  // nullopt: a zip for paths ending in .keras. false: a directory.
  std::optional<bool> zipped;
  OverwriteCallback confirm_overwrite;
};

// Writes `model` as a .keras zip (or a directory when zipped is false).
// Throws ValueError for a bad extension, FileExistsError when the target
// exists and may not be overwritten. A failed save leaves the target as it was.
void save_model(const Model& model, const std::filesystem::path& filepath, const SaveModelOptions& options = {});
// No path: the .keras archive as bytes.
std::vector<std::byte> save_model(const Model& model);

struct LoadModelOptions {
  bool compile = true;
  bool safe_mode = true;
  // What the file may make the loader read, allocate and build
  // (keras/limits.hpp, docs/limits.md); a file beyond one is refused with an
  // error naming it.
  LoadLimits limits;
  // A STORED model.weights.h5 is read in place from the mapped archive; its
  // CRC-32 is checked unless this is false (a trusted file loads a little faster).
  bool verify_crc = true;
};

// Reads a .keras zip, a model directory, or (later) a legacy .h5 file.
// A .keras file is memory-mapped while it loads: a file replaced by rename (as
// keras-cpp's saves do) is safe, but one truncated or rewritten in place by
// another process during the load ends this process with SIGBUS.
Model load_model(const std::filesystem::path& filepath, const LoadModelOptions& options = {});
// Reads a .keras archive held in memory.
Model load_model(std::span<const std::byte> archive, const LoadModelOptions& options = {});

struct SaveWeightsOptions {
  bool overwrite = false;
  // In GB (as Keras): writes NAME.weights.json plus NAME_00000.weights.h5, ...
  std::optional<double> max_shard_size;
  OverwriteCallback confirm_overwrite;
};
// keras.Model.save_weights: the model's variables as a .weights.h5 file (or a
// sharded set with max_shard_size, whose path ends in .weights.json).
void save_weights(const Model& model, const std::filesystem::path& filepath, const SaveWeightsOptions& options = {});

struct LoadWeightsOptions {
  // true: objects whose variables do not fit are skipped with a warning
  // (written to stderr) instead of failing the load.
  bool skip_mismatch = false;
};
// keras.Model.load_weights from a .weights.h5, a sharded .weights.json or the
// weights of a .keras archive.
void load_weights(const Model& model, const std::filesystem::path& filepath, const LoadWeightsOptions& options = {});

// keras.Model.to_json / keras.models.model_from_json: the config envelope
// without weights (and without shared_object_id).
std::string to_json(const Model& model);
Model model_from_json(const std::string& json);
// keras3's save_model_config / load_model_config: the same JSON in a file.
void save_model_config(const Model& model, const std::filesystem::path& filepath, bool overwrite = false);
Model load_model_config(const std::filesystem::path& filepath);

namespace saving {

// The Keras version keras-cpp writes files as (metadata.json's keras_version):
// its files load in that Keras as if it had written them.
inline constexpr const char* kKerasVersion = "3.16.0";

// Keras' io_utils.ask_to_proceed_with_overwrite: asks on the terminal whether
// `path` may be replaced ("[WARNING] ... already exists - overwrite? [y/n]").
// false without asking unless stdin and stderr are both terminals. save_model
// asks this when overwrite is false and no confirm_overwrite is given.
bool ask_to_proceed_with_overwrite(const std::filesystem::path& path);

// The member names of a .keras archive, in archive order (like zip_list()).
std::vector<std::string> archive_members(const std::filesystem::path& filepath);

// Factories of built-in or custom classes, by kind: each builds an object
// from its config envelope's `config`.
using LayerFactory = std::function<LayerPtr(const Json& config)>;
using OperationFactory = std::function<OperationPtr(const Json& config)>;
using OptimizerFactory = std::function<std::shared_ptr<Optimizer>(const Json& config)>;
using ScheduleFactory = std::function<optimizers::schedules::Schedule(const Json& config)>;
using InitializerFactory = std::function<initializers::Initializer(const Json& config)>;

// Built-in classes: `module` is Keras' public module ("keras.layers"); raw ops
// use their internal module ("keras.src.ops.numpy"). keras/registry.hpp has
// the kind-generic form (register_class) and what is registered.
void register_layer(const std::string& module, const std::string& class_name, LayerFactory factory);
void register_operation(const std::string& module, const std::string& class_name, OperationFactory factory);

// keras.saving.register_keras_serializable: a custom class (or function)
// registered under "package>name", which is what its configs carry as
// registered_name. One overload per kind; the factory's type says which.
void register_keras_serializable(const std::string& package, const std::string& name, LayerFactory factory);
void register_keras_serializable(const std::string& package, const std::string& name, OptimizerFactory factory);
void register_keras_serializable(const std::string& package, const std::string& name, ScheduleFactory factory);
void register_keras_serializable(const std::string& package, const std::string& name, InitializerFactory factory);
// A custom activation function, named "package>name" in layer configs.
void register_keras_serializable(const std::string& package, const std::string& name, ActivationFunction function);
// Any kind, e.g. a regularizer or constraint (whose factories return their
// envelope as Json), or the losses and metrics of the training code.
void register_keras_serializable(const std::string& package, const std::string& name, AnyFactory factory);

// The registered name of a live object: "package>Name" for registered
// custom classes, the class name otherwise (keras.saving.get_registered_name).
std::string get_registered_name(const Operation& object);
std::string get_registered_name(const Optimizer& object);
// The layer factory registered (or in scope) under `name`, or nullptr (also
// for custom objects of other kinds; find_custom_object() returns any kind).
LayerFactory get_registered_object(const std::string& name);

// keras.saving.custom_object_scope: while it lives, on this thread, the
// given factories resolve names in addition to the global registrations
// (the innermost scope only, as in Keras).
class CustomObjectScope {
 public:
  explicit CustomObjectScope(const std::map<std::string, LayerFactory>& objects);
  // Custom objects of any kind: {{"MyOptimizer", AnyFactory(ObjectKind::optimizer, OptimizerFactory(...))}}.
  explicit CustomObjectScope(std::map<std::string, AnyFactory> objects);
  ~CustomObjectScope();
  CustomObjectScope(const CustomObjectScope&) = delete;
  CustomObjectScope& operator=(const CustomObjectScope&) = delete;
};

// Resolves an envelope {"module", "class_name", "config", "registered_name"}
// to a new layer/operation. Throws UnknownObjectError naming the class.
OperationPtr deserialize_operation(const Json& envelope);
LayerPtr deserialize_layer(const Json& envelope);
// Serializes a layer or op as its envelope (with build_config and, for
// models, compile_config).
Json serialize_operation(const Operation& op);

// Registers every built-in class. Idempotent and thread-safe; called by the
// loaders, so users rarely need it.
void register_builtins();

}  // namespace saving

}  // namespace keras
