"""Peak resident memory and time of whole processes: the gradient of the 1-D nonlinear heat
equation's loop (bench/memory_bench.cpp) on the plain tape and through checkpointed_loop,
each run in a process of its own (`memory_bench --peak-rss VARIANT STEPS`), so that its
peak resident set (getrusage) is its own. 10⁴ steps: plain and 10, 40, 200 states kept,
medians of 3 runs; 10⁶ steps: checkpointed only (the plain tape would need about 10 GB),
one run each. Every run's gradient norm is checked against the plain run's at 10⁴ steps,
and the checkpointed runs at 10⁶ against each other.

    /usr/bin/python3 bench/memory_peaks.py [--report=bench/RESULTS.md] [--binary=PATH]
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

from results_section import write_section

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.path.join(HERE, "..", "build", "native", "bench", "memory_bench")
SHORT, LONG = 10**4, 10**6
STATES = [10, 40, 200]


def run(binary, variant, steps):
    done = subprocess.run([binary, "--peak-rss", variant, str(steps)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"memory_peaks: {variant} at {steps} steps failed: {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(binary, variant, steps, repeats):
    runs = [run(binary, variant, steps) for _ in range(repeats)]
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "max_rss_mb": statistics.median(r["max_rss_kb"] for r in runs) / 1024,
        "tape_peak_mb": runs[0]["tape_peak_bytes"] / 1e6,
        "evaluations": runs[0]["step_evaluations"],
        "norm": runs[0]["gradient_norm"],
        "runs": repeats,
    }


def agree(a, b):
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def table(binary):
    rows = []
    plain = measure(binary, "plain", SHORT, 3)
    rows.append((SHORT, "plain", plain))
    for states in STATES:
        m = measure(binary, f"S{states}", SHORT, 3)
        if not agree(m["norm"], plain["norm"]):
            sys.exit(f"memory_peaks: S{states}'s gradient norm {m['norm']} is not the plain tape's {plain['norm']}")
        rows.append((SHORT, f"S{states}", m))
    first_long = None
    for states in STATES:
        m = measure(binary, f"S{states}", LONG, 1)
        if first_long is not None and not agree(m["norm"], first_long["norm"]):
            sys.exit(f"memory_peaks: at 10⁶ steps S{states}'s gradient norm differs from S{STATES[0]}'s")
        first_long = first_long or m
        rows.append((LONG, f"S{states}", m))
    return plain, rows


def markdown(plain, rows, command):
    out = ["## Memory: whole processes\n\n",
           f"- command: `{command}`\n",
           f"- machine: {platform.machine()}, {os.cpu_count()} hardware threads; "
           f"{datetime.date.today().isoformat()}\n",
           "- each row is one process computing one gradient (the 1-D nonlinear heat equation on 100 points, "
           "Σ u² of the final state, with respect to the initial state); time and peak resident set "
           "(`getrusage`) of the whole process, program start included; the tape's own peak "
           "(`Tape::peak_bytes()`) beside it. 10⁴ steps: medians of 3 runs; 10⁶ steps: one run each, "
           "checkpointed only (the plain tape would hold about 10 GB).\n\n",
           "| steps | variant | runs | time (s) | time / plain | peak resident (MB) | resident / plain "
           "| tape peak (MB) | step evaluations | target |\n",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n"]
    for steps, variant, m in rows:
        time_ratio = m["seconds"] / plain["seconds"] if steps == SHORT else None
        rss_ratio = m["max_rss_mb"] / plain["max_rss_mb"] if steps == SHORT else None
        target = "–"
        if steps == SHORT and variant == "S40":
            met = rss_ratio <= 0.2 and time_ratio <= 4
            target = ("yes" if met else "**no**") + " (≤ 1/5 of the plain peak, ≤ 4× its time)"
        if steps == LONG and variant == "S40":
            target = ("yes" if m["max_rss_mb"] < 1024 else "**no**") + " (under 1 GB)"
        out.append(f"| {steps} | {variant} | {m['runs']} | {m['seconds']:.3f} | "
                   f"{'–' if time_ratio is None else f'{time_ratio:.2f}'} | {m['max_rss_mb']:.1f} | "
                   f"{'–' if rss_ratio is None else f'{rss_ratio:.3f}'} | {m['tape_peak_mb']:.3f} | "
                   f"{m['evaluations']} | {target} |\n")
    out.append("\n")
    return "".join(out)


def main():
    report, binary = None, BINARY
    for argument in sys.argv[1:]:
        if argument.startswith("--report="):
            report = argument.split("=", 1)[1]
        elif argument.startswith("--binary="):
            binary = argument.split("=", 1)[1]
        else:
            sys.exit(f"memory_peaks: unknown argument {argument} (--report=PATH, --binary=PATH)")
    command = "/usr/bin/python3 bench/memory_peaks.py" + (f" --report={report}" if report else "")
    plain, rows = table(binary)
    text = markdown(plain, rows, command)
    print(text)
    if report:
        write_section(report, "memory_peaks", text)


if __name__ == "__main__":
    main()
