// libFuzzer target: arbitrary text through keras::parse_json (Python-flavoured JSON with bare
// NaN/Infinity) and keras::model_from_json (config -> layers -> model). keras::Error is the
// expected answer to bad input. JSON that parses must survive dump_json_like_python -> parse_json
// with the same value (checked when it holds no NaN, which never compares equal).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "keras/keras.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const keras::Json parsed = keras::parse_json(text, "<fuzz>");
    const std::string dumped = keras::dump_json_like_python(parsed);
    const keras::Json again = keras::parse_json(dumped, "<fuzz round trip>");
    if (dumped.find("NaN") == std::string::npos && again != parsed) {
      __builtin_trap();  // dump_json_like_python wrote a different value
    }
  } catch (const keras::Error&) {
    return 0;  // not JSON: model_from_json would only repeat the parse error
  }
  try {
    keras::Model model = keras::model_from_json(text);
    static_cast<void>(keras::to_json(model));
  } catch (const keras::Error&) {
  }
  return 0;
}
