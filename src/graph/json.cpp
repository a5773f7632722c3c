// JSON text exactly as Python's json.dumps writes it, and a tolerant reader.
#include <cmath>
#include <limits>

#include "keras/json.hpp"
#include "keras/limits.hpp"

namespace keras {

namespace {

// "-1.2345678901234565e+15" -> "-1234567890123456.5", "1e+15" -> "1000000000000000.0": the same
// shortest digits with the decimal point moved, as Python's repr writes numbers below 1e16.
std::string positional_from_exponent(const std::string& text) {
  const std::size_t e = text.find('e');
  const int exponent = std::stoi(text.substr(e + 1));
  std::string sign;
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c == '-')
      sign = "-";
    else if (c != '.')
      digits += c;
  }
  const std::size_t integer_digits = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= integer_digits) return sign + digits + std::string(integer_digits - digits.size(), '0') + ".0";
  return sign + digits.substr(0, integer_digits) + "." + digits.substr(integer_digits);
}

void dump_value(const Json& value, std::string& out) {
  switch (value.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ", ";
        first = false;
        out += Json(key).dump(-1, ' ', true);
        out += ": ";
        dump_value(item, out);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ", ";
        first = false;
        dump_value(item, out);
      }
      out += ']';
      return;
    }
    case Json::value_t::number_float: {
      double v = value.get<double>();
      if (std::isnan(v))
        out += "NaN";
      else if (std::isinf(v))
        out += v > 0 ? "Infinity" : "-Infinity";
      else {
        // nlohmann prints the shortest round-trip digits; Python's repr uses
        // exponent notation from 1e16 on, nlohmann from 1e15+: align that.
        std::string text = value.dump();
        if (text.find('e') != std::string::npos && std::abs(v) >= 1e15 && std::abs(v) < 1e16) {
          text = positional_from_exponent(text);
        }
        out += text;
      }
      return;
    }
    default:
      out += value.dump(-1, ' ', true);
      return;
  }
}

// Python writes NaN/Infinity as bare tokens; nlohmann rejects them. They are
// rewritten to marker strings before parsing and restored afterwards. The
// markers carry a salt absent from the text, so no real string can collide.
struct Markers {
  std::string nan, inf, neginf;
  explicit Markers(std::string_view text) {
    std::string salt;
    for (int n = 0; text.find("@@keras" + salt) != std::string_view::npos; ++n) salt = std::to_string(n);
    nan = "@@keras" + salt + "-nan@@";
    inf = "@@keras" + salt + "-inf@@";
    neginf = "@@keras" + salt + "-neginf@@";
  }
};

// Python's json module stops near its recursion limit (1000). Deeper input would overflow the
// stack of the recursive walkers downstream (restore_special_tokens, dump_value, the config
// readers), so it is refused here, while still text, at LoadLimits::max_json_depth (256).

std::string replace_special_tokens(std::string_view text, bool* replaced, const std::string& origin,
                                   const Markers& markers) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  int depth = 0;
  const int max_depth = detail::current_load_limits().max_json_depth;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size())
        out += text[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw FormatError(origin + ": invalid JSON: nested deeper than " + std::to_string(max_depth) +
                          " levels (LoadLimits::max_json_depth)");
    } else if (c == ']' || c == '}') {
      --depth;
    }
    auto starts = [&](std::string_view token) { return text.substr(i, token.size()) == token; };
    if (starts("NaN")) {
      out += "\"" + markers.nan + "\"";
      i += 2;
      *replaced = true;
    } else if (starts("-Infinity")) {
      out += "\"" + markers.neginf + "\"";
      i += 8;
      *replaced = true;
    } else if (starts("Infinity")) {
      out += "\"" + markers.inf + "\"";
      i += 7;
      *replaced = true;
    } else {
      out += c;
    }
  }
  return out;
}

void restore_special_tokens(Json& value, const Markers& markers) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s == markers.nan)
      value = std::numeric_limits<double>::quiet_NaN();
    else if (s == markers.inf)
      value = std::numeric_limits<double>::infinity();
    else if (s == markers.neginf)
      value = -std::numeric_limits<double>::infinity();
  } else if (value.is_structured()) {
    for (auto& item : value) restore_special_tokens(item, markers);
  }
}

}  // namespace

std::string dump_json_like_python(const Json& value) {
  std::string out;
  dump_value(value, out);
  return out;
}

Json parse_json(std::string_view text, const std::string& origin) {
  bool replaced = false;
  const Markers markers(text);
  std::string prepared = replace_special_tokens(text, &replaced, origin, markers);
  Json result = Json::parse(prepared, nullptr, /*allow_exceptions=*/false);
  if (result.is_discarded()) {
    // Parse again with exceptions for a message that says where it failed.
    try {
      Json discarded = Json::parse(prepared);
      (void)discarded;
    } catch (const Json::exception& e) {
      throw FormatError(origin + ": invalid JSON: " + e.what());
    }
    throw FormatError(origin + ": invalid JSON");
  }
  if (replaced) restore_special_tokens(result, markers);
  return result;
}

Json shape_to_json(const Shape& shape) {
  Json out = Json::array();
  for (std::int64_t d : shape) {
    if (d < 0)
      out.push_back(nullptr);
    else
      out.push_back(d);
  }
  return out;
}

Shape shape_from_json(const Json& value, const std::string& what) {
  if (!value.is_array()) throw FormatError(what + " must be a list of dimensions, got " + value.dump());
  Shape shape;
  for (const auto& d : value) {
    if (d.is_null())
      shape.push_back(kUnknownDim);
    else if (d.is_number_integer() && d.get<std::int64_t>() >= 0 &&
             d.get<std::int64_t>() <= detail::current_load_limits().max_dimension)
      shape.push_back(d.get<std::int64_t>());
    else if (d.is_number_integer() && d.get<std::int64_t>() > 0)
      throw FormatError(what + " has a dimension " + d.dump() + " above " +
                        std::to_string(detail::current_load_limits().max_dimension) + " (LoadLimits::max_dimension)");
    else
      throw FormatError(what + " has an invalid dimension: " + d.dump());
  }
  return shape;
}

}  // namespace keras
