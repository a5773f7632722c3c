// The per-class table (ONNX Runtime's OpTester habit): one row per class
// registered in keras-cpp's registry, saying how each is checked.
// tests/test_every_class.cpp walks the registry and fails, listing them, for
// classes that lack
//   (a) a config round trip against a config Keras wrote: found automatically
//       in the fixtures' configs (tests/data), else the row's `config`, an
//       envelope derived by hand from Keras' source (cited);
//   (b) a forward check against a reference with a stated tolerance: found
//       automatically when a fixture model containing the class predicts
//       Keras' outputs within the case's atol/rtol (optimizers: the
//       optimizer_* fixtures' update steps), else the row's `forward`, a
//       hand-computed or naive-loop reference the tester runs.
// The mask and gradient columns are where issues 10 and 14 extend the table;
// refused classes live in the registry (saving::refused_classes()) with their
// reasons, and the tester checks that each is refused with its error.
//
// Adding a row (a new class): add `{Kind, "ClassName"}` to rows() in
// class_table.cpp; if no fixture covers it, give it `config` and/or
// `forward` (helpers in references.hpp). Adding a column: add a member to
// ClassRow with a default meaning "not filled", fill it for the rows that
// have it, and check it in test_every_class.cpp (see masks for the pattern).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keras/keras.hpp"

namespace keras_test::classes {

using keras::Json;
using keras::saving::ObjectKind;

// A config Keras would write for a class no fixture contains.
struct ConfigReference {
  std::string source;  // where in Keras' source the config comes from: "keras/src/ops/numpy.py Divide"
  Json envelope;       // {"module", "class_name", "config", "registered_name"}
};

// A forward check run by the tester. `check` builds the class, runs it and
// returns the largest error against the reference (abs and relative combined
// as max(|a - e| - rtol |e|)); the row passes when that is <= atol.
struct ForwardReference {
  std::string reference;  // what the reference is: "naive loop", "std::sin", "hand-computed"
  double atol = 0.0;
  double rtol = 0.0;
  std::function<double(const ForwardReference&)> check;
};

// Keras 3.16's masking rule of a layer class (keras/src/layers/**: its
// supports_masking, compute_mask and call signature). `inputs`: the keyword
// arguments Layer.__call__ fills with input masks when the layer is called on
// masked tensors ("mask", or "query_mask", "value_mask" for attention; empty:
// it uses no mask). `output`: the mask of its (first) output: "input" (passes
// the first input's mask through), "computed" (its own compute_mask), "none"
// (drops it). `mask_axes`: the leading axes of each input the probe's mask
// covers; default all but the last (Keras' [batch, steps] for sequences);
// Softmax takes a full one, recurrent layers [batch, steps].
struct MaskColumn {
  std::vector<std::string> inputs;
  std::string output = "none";
  std::optional<int> mask_axes;
  Json config_patch = Json::object();  // merged into the probed layer's config (Embedding: mask_zero)
};

// The backward pass (issue 14): a reference gradient with its tolerance.
struct GradientColumn {
  std::string reference;  // "finite differences", "hand-computed"
  double atol = 0.0;
  std::function<double()> check;  // the largest error; passes when <= atol
};

struct ClassRow {
  ObjectKind kind;
  std::string class_name;
  std::optional<ConfigReference> config;
  std::optional<ForwardReference> forward;
  std::optional<MaskColumn> masks;
  std::optional<GradientColumn> gradient;
};

// Classes allowed to lack a column, each with the reason (short on purpose).
struct Allowance {
  ObjectKind kind;
  std::string class_name;  // "*": every class of the kind
  std::string column;      // "config", "forward", "gradient" or "masks"
  std::string reason;
};

const std::vector<ClassRow>& rows();
const std::vector<Allowance>& allow_list();

}  // namespace keras_test::classes
