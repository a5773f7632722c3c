// KERAS_ROW_CLONES: compiles a row kernel for AVX-512, AVX2 and the baseline ISA, the version
// chosen when the library loads. The library is built for the baseline (any x86-64), where
// loops over floats run four lanes at a time.
#pragma once

// ThreadSanitizer instruments the resolver that picks a clone, which runs while the library is
// relocated, before the sanitizer is initialized (the process then crashes as it starts): one
// version in such builds.
#if defined(__SANITIZE_THREAD__)
#define KERAS_ROW_CLONES
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KERAS_ROW_CLONES
#endif
#endif
#ifndef KERAS_ROW_CLONES
#define KERAS_ROW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
