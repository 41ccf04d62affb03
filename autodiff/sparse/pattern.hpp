/// \file
/// Sparsity patterns of a recording: which inputs each output depends on (the Jacobian's
/// pattern) and which pairs of inputs interact nonlinearly (the Hessian's), read from a
/// replay tape's statements (replay/replay_tape.hpp), so for the path the recording took.
///
/// Exact for each statement's expression: the program of a statement (its expression tree)
/// says which of its operands reach the result (a piecewise-constant rule such as floor
/// passes none on) and which pairs of them meet in a rule whose second partial can be
/// nonzero (rules.hpp's `second_partials`: x·y couples x with y only, x + y nothing,
/// x / y couples x with y and y with itself, relu and abs nothing). So a running sum
/// `s = s + term(x[i], x[i+1])` adds no interaction between s's inputs and the term's,
/// and `x*y + z` couples x with y alone. Across statements the rule is the forward
/// nonlinear-interaction propagation of Walther (2008): each input set I(v) is the union
/// of its operands' sets, and a pair (a, b) that interacts in a statement that reaches the
/// output adds I(a) × I(b). Sets are built only for statements a nonlinear pair needs,
/// and a set read for the last time is moved on rather than copied, so a partially
/// separable function costs about one pass over the recording.
///
/// Dense blocks: a tensor operation (a statement with a backward of its own) is taken to
/// depend on every input recorded before it and to couple all of them; a custom_op's
/// statement, to couple all of its operands. The pattern is then never missing an entry,
/// and only denser than the truth inside those blocks.
#pragma once

#include <cstdint>
#include <span>

#include "../replay/replay_tape.hpp"
#include "coloring.hpp"

namespace tapegrad {

/// The most nonzeros a pattern may have unless told otherwise: 10⁸ (a dense Hessian of 10⁴ unknowns), about
/// 1.2 GB for the pattern and its values. A function of 10⁶ unknowns whose Hessian is dense would otherwise
/// take 10¹² entries.
inline constexpr std::size_t default_max_nonzeros = 100'000'000;

/// The Jacobian's pattern of the recording on `tape` from the input statements `inputs` (leaf Vars, in the
/// function's order) to the statements `outputs` (0 for an output that is a constant): row i holds the inputs
/// output i depends on. Throws tapegrad::Error when a statement named is not on the tape, or when the pattern
/// would have more than `max_nonzeros` nonzeros (before they are stored).
SparsityPattern jacobian_pattern(const ReplayTape& tape, std::span<const std::uint32_t> inputs,
                                 std::span<const std::uint32_t> outputs,
                                 std::size_t max_nonzeros = default_max_nonzeros);

/// The Hessian's pattern of the recording on `tape` from the input statements `inputs` to the statement
/// `output` (0: a constant, no entries): square, symmetric, both triangles stored (the diagonal entries that
/// can be nonzero included). Throws tapegrad::Error as jacobian_pattern() does.
SparsityPattern hessian_pattern(const ReplayTape& tape, std::span<const std::uint32_t> inputs,
                                std::uint32_t output, std::size_t max_nonzeros = default_max_nonzeros);

}  // namespace tapegrad
