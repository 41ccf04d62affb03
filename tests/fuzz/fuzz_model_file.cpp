// libFuzzer entry point; what it checks is in targets.hpp.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tapegrad::fuzz::model_file_input(data, size);
  return 0;
}
