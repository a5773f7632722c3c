// libFuzzer target: arbitrary text through keras::parse_json (Python-flavoured JSON with bare
// NaN/Infinity) and keras::model_from_json (config -> layers -> model), byte mutations with
// fuzz_json.dict. See keras_fuzz::run_json (fuzz/targets.hpp).
#include "fuzz_report.hpp"
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return keras_fuzz::report(keras_fuzz::run_json({data, size}));
}
