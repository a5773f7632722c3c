// How a fuzz target reports a broken property (fuzz/targets.hpp): the message, then abort(),
// which libFuzzer records as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace keras_fuzz {

inline int report(const std::string& failure) {
  if (failure.empty()) return 0;
  std::fprintf(stderr, "keras-cpp fuzz property broken: %s\n", failure.c_str());
  std::abort();
}

}  // namespace keras_fuzz
