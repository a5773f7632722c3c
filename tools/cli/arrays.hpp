// Arrays for a model's inputs or targets from the command line: --input /
// --x (predict, fit, evaluate) and --y (fit, evaluate) values.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras_cli {

// What the arrays fill: the model's inputs (--input) or its outputs' targets (--y).
struct ArraySlots {
  std::vector<std::string> names;  // model.input_names() or model.output_names()
  std::string kind;                // "input" or "output", for messages
  std::string option;              // "--input" or "--y", for messages
};

// Decodes an image file for slot `slot` (predict only); empty: images are not accepted.
using ImageLoader = std::function<keras::Tensor(const std::string& file, std::size_t slot)>;

struct GatheredArrays {
  std::vector<keras::Tensor> tensors;  // in slot order
  std::vector<std::string> sources;    // the file (or file/array of an .npz) each came from
};

// The arrays from the option values: NAME=FILE fills the named slot; plain
// files fill the others in order; an .npz gives its arrays by name (when they
// match slot names) or in order; several images for one slot form a batch.
// ValueError naming the option and the slot for a missing, unknown or
// repeated one.
GatheredArrays gather_arrays(const ArraySlots& slots, const std::vector<std::string>& specs,
                             const ImageLoader& load_image = {});

}  // namespace keras_cli
