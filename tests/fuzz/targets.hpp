// What each fuzz target does with one input, as plain functions: the libFuzzer entry
// points (fuzz_*.cpp) call them, and so does the regression test that replays every
// seed and every input a fuzzer ever found (test_fuzz_regressions.cpp) in the normal
// and sanitizer builds.
//
// An input is fine when it is accepted or refused with tapegrad's own error type;
// anything else (a crash, a sanitizer report, another exception, a hang) is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tapegrad::fuzz {

// The text as an expression over scalars and a vector v of length 3: parse, evaluate
// with domain checks, and take the gradient on a tape.
void expression_input(const std::uint8_t* data, std::size_t size);
// The bytes as a CSV file, read with a header detected, labels in the last column, and
// again as unlabelled regression data.
void csv_input(const std::uint8_t* data, std::size_t size);
// The bytes as a model file, loaded as float and as double; a loaded model predicts.
void model_file_input(const std::uint8_t* data, std::size_t size);
// The model file with its checksum recomputed for its content, so that mutated files
// reach the checks behind the checksum; empty when the text is not a JSON object.
std::string with_matching_checksum(const std::string& text);

}  // namespace tapegrad::fuzz
