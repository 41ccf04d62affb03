# g++ 12 and clang 14 both build tapegrad warning-free with these.
function(tapegrad_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  # g++ 12's AVX-512 intrinsics start from a deliberately undefined vector (GCC bug
  # 105593, fixed in 13), so with -march=native Eigen's packet code, inlined from GCC's
  # own headers where -isystem does not reach, is reported as "(maybe) uninitialized".
  # The sanitizer build covers what these warnings would catch in our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-uninitialized)
  endif()
endfunction()
