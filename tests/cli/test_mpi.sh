#!/bin/bash
# Data-parallel training through the command line: the digits network trained with
# --threads 1–4 and under `mpirun -np 1–4` writes byte-identical model files, with the
# test accuracy of the run on one tape; a rank killed mid-run ends the job with
# mpirun's message and leaves no model file (and no temporary file).
# Usage: test_mpi.sh TAPEGRAD_PROGRAM WORK_FOLDER
set -euo pipefail
program=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"

# As root (CI containers) Open MPI needs to be told it may; --oversubscribe allows more
# ranks than cores.
mpirun=(mpirun --allow-run-as-root --oversubscribe)
train=("$program" train --data digits --epochs 4 --batch-size 128 --shard-rows 12 --max-shards 8 --patience 0 --json)
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
accuracy_of() { grep -o '"test_accuracy":[0-9.e+-]*' "$1"; }

"${train[@]}" --out whole > whole.json 2> /dev/null
"${train[@]}" --threads 1 --out threads1 > threads1.json 2> /dev/null
[ "$(accuracy_of whole.json)" = "$(accuracy_of threads1.json)" ] ||
  fail "the sharded run's test accuracy differs from the run on one tape"
for n in 2 3 4; do
  "${train[@]}" --threads "$n" --out "threads$n" > "threads$n.json" 2> /dev/null
  cmp threads1/model.json "threads$n/model.json" || fail "--threads $n trained other weights than --threads 1"
done
for np in 1 2 3 4; do
  "${mpirun[@]}" -np "$np" "${train[@]}" --out "ranks$np" > "ranks$np.json" 2> "ranks$np.err" ||
    fail "mpirun -np $np failed: $(cat "ranks$np.err")"
  cmp threads1/model.json "ranks$np/model.json" || fail "mpirun -np $np trained other weights than --threads 1"
  [ "$(accuracy_of "ranks$np.json")" = "$(accuracy_of threads1.json)" ] || fail "mpirun -np $np: test accuracy"
  # The result is printed once, by rank 0.
  [ "$(grep -c test_accuracy "ranks$np.json")" = 1 ] || fail "mpirun -np $np printed the result more than once"
done
"${mpirun[@]}" -np 2 "${train[@]}" --threads 2 --out ranks2threads2 > /dev/null 2>&1
cmp threads1/model.json ranks2threads2/model.json || fail "2 ranks of 2 threads trained other weights"

# A run stopped after 2 of its 4 epochs on 2 processes and resumed on 3 ends with the
# same weights: the checkpoint holds nothing that depends on the process count.
first_half=("$program" train --data digits --epochs 2 --batch-size 128 --shard-rows 12 --max-shards 8 --patience 0)
"${mpirun[@]}" -np 2 "${first_half[@]}" --out resumed > /dev/null 2>&1 || fail "the first half of the resumed run"
"${mpirun[@]}" -np 3 "${train[@]}" --resume resumed > /dev/null 2>&1 || fail "resuming on 3 processes"
cmp threads1/model.json resumed/model.json || fail "a run resumed on 3 processes trained other weights"

# Bad input under mpirun: the message, once per process, and a non-zero exit (not a hang).
status=0
"${mpirun[@]}" -np 2 "$program" train --data digits --threads -1 > /dev/null 2> bad.err || status=$?
[ "$status" != 0 ] || fail "mpirun exited 0 after bad input"
grep -q "process 0 of 2: --threads must be 0 or more" bad.err || fail "no message for bad input: $(cat bad.err)"

# A rank that fails: kill rank 1 of a long run once rank 0 has written a checkpoint.
"${mpirun[@]}" -np 2 "$program" train --data digits --epochs 1000000 --patience 0 --checkpoint-seconds 0 \
  --out killed > killed.out 2> killed.err &
job=$!
for _ in $(seq 300); do
  [ -f killed/checkpoint.json ] && break
  sleep 0.1
done
[ -f killed/checkpoint.json ] || fail "the long run never started"
rank1=""
for environ in /proc/[0-9]*/environ; do
  if { tr '\0' '\n' < "$environ"; } 2> /dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then
    pid=${environ#/proc/}
    pid=${pid%/environ}
    grep -q killed "/proc/$pid/cmdline" 2> /dev/null && rank1=$pid
  fi
done
[ -n "$rank1" ] || fail "rank 1 not found"
kill -9 "$rank1"
status=0
wait "$job" || status=$?
[ "$status" != 0 ] || fail "mpirun exited 0 after a rank was killed"
grep -qi "signal\|killed\|exited" killed.err || fail "mpirun said nothing of the killed rank: $(cat killed.err)"
[ ! -e killed/model.json ] || fail "a model file was left by the killed run"
leftover=$(ls -A killed | grep -v '^checkpoint.json$' || true)
[ -z "$leftover" ] || fail "the killed run left files besides its checkpoint: $leftover"
echo "data-parallel command-line runs: identical on 1-4 threads and 1-4 processes; a killed rank leaves no model"
