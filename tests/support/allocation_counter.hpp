// Counting heap use in a test binary: allocations made, and bytes live now.
// allocation_counter.cpp replaces the global allocation functions, so it goes only into
// test binaries whose tests all tolerate that.
#pragma once

#include <cstddef>

// g++ says __SANITIZE_ADDRESS__, clang says __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define TAPEGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TAPEGRAD_ASAN 1
#endif
#endif

namespace tapegrad::testing {

// Calls of operator new, and of malloc, calloc, realloc, posix_memalign and
// aligned_alloc unless counts_malloc() is false (the sanitizer build, whose runtime
// owns malloc).
long allocation_count();
bool counts_malloc();
// Bytes allocated and not yet freed: glibc's mallinfo2, or the sanitizer allocator's
// own count.
std::size_t live_heap_bytes();

}  // namespace tapegrad::testing
