// The words of the expression parser's errors that name what was meant: a character that is
// not in the language (a typographic minus, a non-breaking space, a Greek letter typed for its
// name, a byte that is not UTF-8) with what it probably stood for, and the functions known.
#pragma once

#include <string>
#include <string_view>

namespace tapegrad::cli {

// Why the character at the start of `text` (a byte outside printable ASCII) cannot be in an
// expression, quoted whole, with what it was probably meant to be.
std::string unexpected_character(std::string_view text);

// The names an expression may call, separated by spaces: the operations' and sum, prod, len.
std::string known_functions();

}  // namespace tapegrad::cli
