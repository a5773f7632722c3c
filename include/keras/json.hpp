// JSON as keras-cpp uses it: nlohmann's ordered_json keeps Keras' key order,
// which matters for writing config.json byte-for-byte as Keras does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "keras/tensor.hpp"

namespace keras {

using Json = nlohmann::ordered_json;

// Serializes as Python's json.dumps with default settings: ", " and ": "
// separators, ensure_ascii, floats in shortest round-trip form (1.0, 1e-07).
std::string dump_json_like_python(const Json& value);
// Parses JSON text accepting Python's bare NaN / Infinity / -Infinity tokens.
// Throws FormatError naming `origin` on bad input.
Json parse_json(std::string_view text, const std::string& origin);

// Shapes in configs: [null, 3] <-> {-1, 3}.
Json shape_to_json(const Shape& shape);
Shape shape_from_json(const Json& value, const std::string& what = "shape");

}  // namespace keras
