// Whether this test program is built with a sanitizer (AddressSanitizer or ThreadSanitizer),
// for the few tests that cannot run under one or that the release build runs at full size.
// g++ says __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__; clang says neither, only
// __has_feature(address_sanitizer) / __has_feature(thread_sanitizer).
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TAPEGRAD_TEST_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TAPEGRAD_TEST_UNDER_SANITIZER 1
#endif
#endif

// The same as a constant, for a size chosen in code.
#if defined(TAPEGRAD_TEST_UNDER_SANITIZER)
inline constexpr bool built_under_sanitizer = true;
#else
inline constexpr bool built_under_sanitizer = false;
#endif
