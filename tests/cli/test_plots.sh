#!/bin/bash
# The pictures of `tapegrad minimize --plot`, rendered by a real SVG renderer
# (rsvg-convert, Debian's librsvg2-bin): each one parses, renders to a PNG that is not
# blank, and holds what it must — a marker per iterate, a path per start or rate, the
# best minimum, a diverging run marked, a NaN region said.
# Usage: test_plots.sh TAPEGRAD_PROGRAM WORK_FOLDER
set -euo pipefail
program=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
count() { grep -o "$2" "$1" | wc -l; }

# Renders NAME.svg; a blank page of its size, rendered the same way, is the floor its
# PNG must be well above.
check_picture() {
  local svg=$1.svg
  [ -s "$svg" ] || fail "$svg was not written"
  rsvg-convert "$svg" -o "$1.png" 2> "$1.err" || fail "$svg does not parse or render: $(cat "$1.err")"
  local width height
  # The page's size as the picture gives it, unit and all (Graphviz writes "440pt").
  width=$(grep -o '<svg [^>]*' "$svg" | grep -o ' width="[0-9.]*[a-z]*"' | cut -d'"' -f2)
  height=$(grep -o '<svg [^>]*' "$svg" | grep -o ' height="[0-9.]*[a-z]*"' | cut -d'"' -f2)
  printf '<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s"><rect width="100%%" height="100%%" fill="white"/></svg>\n' \
    "$width" "$height" > "blank-$1.svg"
  rsvg-convert "blank-$1.svg" -o "blank-$1.png"
  [ "$(stat -c %s "$1.png")" -gt $((5 * $(stat -c %s "blank-$1.png"))) ] || fail "$svg renders (nearly) blank"
}

# Two variables: contours and the path, one marker per iterate (100 steps: 101 points).
"$program" minimize "100*(y - x^2)^2 + (1 - x)^2" --from x=-1.5,y=2 --optimizer adam --lr 0.05 --steps 100 \
  --plot rosenbrock.svg --json > rosenbrock.json 2> /dev/null
check_picture rosenbrock
grep -q '"steps":100' rosenbrock.json || fail "rosenbrock: $(cat rosenbrock.json)"
[ "$(count rosenbrock.svg 'class="iterate"')" = 101 ] || fail "rosenbrock: not one marker per iterate"
[ "$(count rosenbrock.svg 'class="contour"')" -gt 5 ] || fail "rosenbrock: no contour lines"
grep -q 'log-spaced' rosenbrock.svg || fail "rosenbrock spans decades: its levels should be log-spaced"

# Random starts: a path per start, the best minimum highlighted, every minimum labelled.
"$program" minimize "(x^2 + y - 11)^2 + (x + y^2 - 7)^2" --restarts 8 --box -5,5 --plot restarts.svg > restarts.txt 2> /dev/null
check_picture restarts
[ "$(count restarts.svg '<g class="path"')" = 8 ] || fail "restarts: not one path per start"
[ "$(count restarts.svg 'class="best"')" = 1 ] || fail "restarts: the best minimum is not highlighted once"
minima=$(head -1 restarts.txt | grep -o '^[0-9]*')
# Himmelblau's function has exactly four minima, all with f = 0, all inside the box.
[ "$minima" = 4 ] || fail "restarts: found $minima minima of Himmelblau's four"
[ "$(grep -c '^  f = [0-9.e+-]*  found' restarts.txt)" = 4 ] || fail "restarts: not four minima listed"
awk '/^  f = / { if ($3 > 1e-12) bad = 1 } END { exit bad }' restarts.txt || fail "restarts: a minimum above f = 0"
[ "$(count restarts.svg 'class="minimum-label"')" = "$minima" ] || fail "restarts: not every minimum is labelled"

# Learning rates: one run each (a JSON list), a legend, f against the step, and the rate
# too large marked where it leaves the chart.
"$program" minimize "x^2 + 10*y^2" --from x=3,y=1 --optimizer sgd --lr 0.01,0.05,0.11 --steps 40 \
  --plot rates.svg --json > rates.json 2> /dev/null
check_picture rates
[ "$(head -c 1 rates.json)" = "[" ] || fail "--lr A,B,C: the JSON result is not a list of runs"
[ "$(grep -o '"lr":' rates.json | wc -l)" = 3 ] || fail "--lr A,B,C: not three runs"
for rate in 0.01 0.05 0.11; do grep -q ">lr $rate<" rates.svg || fail "rates: no legend entry for $rate"; done
grep -q '>diverged<' rates.svg || fail "rates: the diverging rate is not marked"
grep -q 'f against the step' rates.svg || fail "rates: no panel of f against the step"

# A function undefined on part of the window: still drawn, and it says so.
"$program" minimize "log(x) + y^2" --from x=2,y=1 --optimizer sgd --lr 0.1 --steps 20 --window -1,3,-2,2 \
  --plot undefined.svg > /dev/null 2>&1
check_picture undefined
grep -q 'f is undefined' undefined.svg || fail "undefined: the NaN region is not said"

# One variable diverging; more than two variables.
# A diverged run exits 1 (README), and its picture is still drawn.
status=0
"$program" minimize "x^2" --from x=1 --optimizer sgd --lr 1.5 --steps 30 --plot diverging.svg > /dev/null 2>&1 ||
  status=$?
[ "$status" = 1 ] || fail "diverging: exit code $status, expected 1"
check_picture diverging
grep -q '>diverged<' diverging.svg || fail "diverging: not marked"
"$program" minimize "sum(x^2)" --dim x=3 --from x=1 --optimizer sgd --lr 0.1 --steps 20 --plot many.svg > /dev/null 2>&1
check_picture many
grep -q '>|∇f|<' many.svg || fail "many variables: no panel of the gradient norm"

# The expression graph of grad: DOT with every node's value and adjoint; SVG when
# Graphviz is installed, else the DOT and a sentence saying so.
"$program" grad "x1*x1 + x2*x2 + abs(x1 + x2)" --at x1=1,x2=1 --graph graph.dot > /dev/null 2>&1
grep -q 'adjoint = 3' graph.dot || fail "grad --graph: the inputs' adjoints (3) are not in the DOT"
"$program" grad "x1*x1 + x2*x2 + abs(x1 + x2)" --at x1=1,x2=1 --graph graph2.svg > /dev/null 2> graph2.err
if command -v dot > /dev/null; then
  check_picture graph2
else
  [ -s graph2.dot ] && grep -q 'not installed' graph2.err || fail "grad --graph FILE.svg without Graphviz: $(cat graph2.err)"
fi

# Misuse is a usage error that writes nothing.
status=0
"$program" minimize "x^2" --from x=1 --window 0,1 > /dev/null 2> window.err || status=$?
[ "$status" = 2 ] && grep -q -- '--plot' window.err || fail "--window without --plot: $(cat window.err)"
status=0
"$program" minimize "x^2 + y^2" --from x=1,y=1 --plot bad.svg --window 1,0,0,1 > /dev/null 2> bad.err || status=$?
[ "$status" = 2 ] && [ ! -e bad.svg ] || fail "an empty --window: $(cat bad.err)"
# Pictures are SVG: another extension is refused before the run, naming the converter.
status=0
"$program" minimize "x^2" --from x=1 --plot out.png > /dev/null 2> png.err || status=$?
[ "$status" = 2 ] && [ ! -e out.png ] && grep -q 'rsvg-convert' png.err || fail "--plot out.png: $(cat png.err)"

echo "plots: every picture renders and holds its paths, minima, rates and marks"
