// A model file's checksum computed as its documented format says (FNV-1a over the
// compact dump of everything but the checksum), independently of the library's own
// code: for tests and fuzzing that edit a model file and need it to stay well-formed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace tapegrad::testing {

// The document as text, with its "checksum" replaced by the one its content needs.
inline std::string with_recomputed_checksum(nlohmann::json doc) {
  doc.erase("checksum");
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : doc.dump()) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  doc["checksum"] = hex;
  return doc.dump();
}

}  // namespace tapegrad::testing
