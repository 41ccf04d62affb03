# g++ 12 and clang 14 both build tapegrad warning-free with these.
function(tapegrad_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
endfunction()
