#include "relation.hpp"

#include <optional>
#include <string_view>

#include "calculus.hpp"

namespace tapegrad::cli {
namespace {

// "an equation", "a constraint": the article from the word's first letter.
std::string with_article(const std::string& word) {
  const bool vowel = !word.empty() && std::string_view("aeiou").find(word[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + word;
}

}  // namespace

const char* relation_sign(Relation r) {
  switch (r) {
    case Relation::AtMost:
      return "<=";
    case Relation::AtLeast:
      return ">=";
    default:
      return "=";
  }
}

SplitRelation split_relation(const std::string& text, std::size_t begin, std::size_t end,
                             bool allowed_inequalities, const char* what) {
  const std::string kind = what;
  const std::string a_kind = with_article(kind);
  const std::string forms =
      allowed_inequalities ? "write LHS = RHS, LHS <= RHS or LHS >= RHS" : "write LHS = RHS, e.g. x^2 = 2";
  // Columns are 1-based, as every ExpressionError's.
  const auto error = [&](const std::string& message, std::size_t at) {
    return ExpressionError("syntax error: " + message, text, at + 1);
  };
  std::optional<SplitRelation> found;
  int depth = 0;
  for (std::size_t k = begin; k < end; ++k) {
    const char c = text[k];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (depth != 0 || (c != '=' && c != '<' && c != '>')) continue;
    const char next = k + 1 < end ? text[k + 1] : '\0';
    SplitRelation here;
    std::size_t width = 1;
    if (c == '=') {
      if (next == '=') throw error("'==' is not a relation here: write '=' for an equality", k);
      if (next == '<' || next == '>')
        throw error(std::string("write '") + next + "=' for this relation, not '=" + next + "'", k);
      here.relation = Relation::Equal;
    } else {
      if (next != '=')
        throw error(std::string("a strict '") + c + "' cannot be kept by a solver: write '" + c + "='", k);
      here.relation = c == '<' ? Relation::AtMost : Relation::AtLeast;
      width = 2;
      if (!allowed_inequalities) throw error(a_kind + " takes '=', not '" + c + "=' (" + forms + ")", k);
    }
    if (found) throw error("more than one relation in one " + kind + " (separate them with ';')", k);
    here.lhs_end = k;
    here.rhs_begin = k + width;
    found = here;
    k += width - 1;
  }
  if (!found) throw error(a_kind + " needs a relation (" + forms + ")", end);
  const auto blank = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k)
      if (text[k] != ' ' && text[k] != '\t' && text[k] != '\n' && text[k] != '\r') return false;
    return true;
  };
  if (blank(begin, found->lhs_end))
    throw error(std::string("nothing on the left of '") + relation_sign(found->relation) + "'",
                found->lhs_end);
  if (blank(found->rhs_begin, end))
    throw error(std::string("nothing on the right of '") + relation_sign(found->relation) + "'",
                found->lhs_end);
  return *found;
}

}  // namespace tapegrad::cli
