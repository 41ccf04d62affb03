/// \file
/// TAPEGRAD_FLATTEN and TAPEGRAD_ALWAYS_INLINE: GCC's and clang's `flatten` and
/// `always_inline`, for the few kernels whose speed depends on everything they call being
/// inlined into their loop (the replay's sum runs, the fused tensor loops), only when the
/// compiler optimizes. In a build without optimization (a debug build, the sanitizer
/// build's test programs) nothing is gained from inlining, and each of those kernels,
/// instantiated per expression type and per case, inlined its whole call tree again:
/// without them, one file of the replay's tests compiled in four fifths of the time under
/// the sanitizers. Inlining changes no result (no -ffast-math).
#pragma once

#ifdef __OPTIMIZE__
#define TAPEGRAD_FLATTEN [[gnu::flatten]]
#define TAPEGRAD_ALWAYS_INLINE [[gnu::always_inline]]
#define TAPEGRAD_ALWAYS_INLINE_FLATTEN [[gnu::always_inline, gnu::flatten]]
#else
#define TAPEGRAD_FLATTEN
#define TAPEGRAD_ALWAYS_INLINE
#define TAPEGRAD_ALWAYS_INLINE_FLATTEN
#endif
