#include "expression_messages.hpp"

#include "../autodiff/support/utf8.hpp"
#include "functions.hpp"

namespace tapegrad::cli {
namespace {

// What a character that looks like an operator, a space or a quote was probably meant
// to be: text pasted from a word processor or a formula brings these.
struct LookAlike {
  char32_t code_point;
  const char* meant;
  const char* why = nullptr;
};
// A typographic quote is text to the shell, which passes it on with the expression.
constexpr const char* shell_quotes = "the shell takes only plain quotes as quotes";
constexpr LookAlike look_alikes[] = {
    {0x2212, "'-'"},
    {0x2010, "'-'"},
    {0x2011, "'-'"},
    {0x2012, "'-'"},
    {0x2013, "'-'"},
    {0x2014, "'-'"},
    {0xFE63, "'-'"},
    {0xFF0D, "'-'"},
    {0x00D7, "'*'"},
    {0x00B7, "'*'"},
    {0x22C5, "'*'"},
    {0x2217, "'*'"},
    {0x2219, "'*'"},
    {0x2022, "'*'"},
    {0xFF0A, "'*'"},
    {0x00F7, "'/'"},
    {0x2215, "'/'"},
    {0x2044, "'/'"},
    {0xFF0F, "'/'"},
    {0xFF0B, "'+'"},
    {0x02C6, "'^'"},
    {0x2038, "'^'"},
    {0xFF3E, "'^'"},
    {0x00B9, "'^1'"},
    {0x00B2, "'^2'"},
    {0x00B3, "'^3'"},
    {0x2070, "'^0'"},
    {0x2074, "'^4'"},
    {0x2075, "'^5'"},
    {0x2076, "'^6'"},
    {0x2077, "'^7'"},
    {0x2078, "'^8'"},
    {0x2079, "'^9'"},
    {0xFF08, "'('"},
    {0xFF09, "')'"},
    {0xFF0C, "','"},
    {0x221A, "sqrt(…)"},
    {0x03C0, "pi (the constant)"},
    {0x2018, "a plain ' or \"", shell_quotes},
    {0x2019, "a plain ' or \"", shell_quotes},
    {0x201A, "a plain ' or \"", shell_quotes},
    {0x201B, "a plain ' or \"", shell_quotes},
    {0x201C, "a plain ' or \"", shell_quotes},
    {0x201D, "a plain ' or \"", shell_quotes},
    {0x201E, "a plain ' or \"", shell_quotes},
    {0x201F, "a plain ' or \"", shell_quotes},
    {0x00AB, "a plain ' or \"", shell_quotes},
    {0x00BB, "a plain ' or \"", shell_quotes},
    {0x00A0, "a space"},
    {0x2002, "a space"},
    {0x2003, "a space"},
    {0x2007, "a space"},
    {0x2009, "a space"},
    {0x200A, "a space"},
    {0x200B, "a space"},
    {0x202F, "a space"},
    {0x3000, "a space"},
};

// The Greek small letters α to ω (U+03B1 to U+03C9) spelled in ASCII, for a name typed
// as its letter; ς (U+03C2) is the final sigma. π is the constant pi (look_alikes).
constexpr const char* greek_names[] = {"alpha",   "beta", "gamma", "delta",  "epsilon", "zeta", "eta",
                                       "theta",   "iota", "kappa", "lambda", "mu",      "nu",   "xi",
                                       "omicron", "pi",   "rho",   "sigma",  "sigma",   "tau",  "upsilon",
                                       "phi",     "chi",  "psi",   "omega"};

}  // namespace

std::string unexpected_character(std::string_view text) {
  const tapegrad::detail::Utf8Char c = tapegrad::detail::decode_utf8(text);
  if (c.length == 0)
    return "byte " + tapegrad::detail::byte_name(static_cast<unsigned char>(text[0])) + " is not UTF-8 text";
  std::string message = "unexpected character " + tapegrad::detail::quoted_character(text);
  for (const LookAlike& l : look_alikes)
    if (l.code_point == c.code_point)
      return message + "; did you mean " + l.meant + "?" + (l.why ? std::string(" (") + l.why + ")" : "");
  if (c.code_point < 0x80) return message;  // a control character
  if (c.code_point >= 0x03B1 && c.code_point <= 0x03C9)
    return message + "; did you mean " + greek_names[c.code_point - 0x03B1] +
           "? (names are ASCII letters, digits and _)";
  return message + " (expressions are ASCII: names are letters, digits and _)";
}

std::string known_functions() {
  std::string s;
  for (const OperationInfo& op : operation_table)
    if (op.called_by_name) (s += op.name) += ' ';
  return s + "sum prod len";
}

}  // namespace tapegrad::cli
