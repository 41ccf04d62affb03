#!/usr/bin/python3
"""tapegrad's solvers against scipy's on large and constrained problems, each run timed
as a whole process: the wall-clock time of `subprocess.run`, from starting the program
to its exit, on both sides.

- scipy: a separate /usr/bin/python3 process per run (this script with --scipy …), so
  starting Python and importing numpy and scipy.optimize count, as does building the
  problem; scipy gets hand-written vectorized numpy derivatives (checked against finite
  differences by this script before anything is timed).
- tapegrad: (a) the `tapegrad` command line (build/native/cli/tapegrad), whose time
  includes parsing the expression or reading the equation file, the start point file and
  writing the point with --out; (b) bench/solver_runs (build/native/bench/solver_runs), a
  program written against the library as docs/solvers.md shows, which writes the point as
  raw doubles.

Problems:

- Chained Rosenbrock f = Σ_{i<n-1} 100(x_{i+1} − x_i²)² + (1 − x_i)² from x = 1.2 and the
  Broyden tridiagonal function f = Σ F_i², F_i = (3 − 2x_i)x_i − x_{i−1} − 2x_{i+1} + 1
  (x_{−1} = x_n = 0) from x = −1, at n = 10³ … 10⁶, and chained Rosenbrock from
  (−1.2, 1, −1.2, …) at n = 10³ only (from there every method's step count grows in
  proportion to n: at n = 10⁴ scipy took 40 277 iterations and tapegrad's Newton 14 569,
  minutes a run), to ‖∇f‖₂ ≤ 1e-8: tapegrad's sparse Newton and trust-region Newton-CG
  against scipy's `minimize(method='trust-ncg')` with `jac` and `hessp`. Any stationary point
  counts (from the alternating start some runs end at the local minimum near x_0 = −1).
- The Bratu problem −Δu − λeᵘ = 0 (λ = 5) on the unit square, u = 0 on the boundary, five-point
  stencil on an N×N interior grid (h = 1/(N + 1)), each equation multiplied by h²:
  F = 4u − (neighbours) − h²λeᵘ, from u = 0, to ‖F‖₂ ≤ 1e-10: tapegrad's Newton with a sparse
  LU (UMFPACK) and Newton–Krylov preconditioned by an incomplete LU of the sparse Jacobian at
  each iterate (`tapegrad solve --preconditioner ilu`, the preconditioner docs/solvers.md
  shows) or by the five-point Laplacian (J at λ = 0) factored once by CHOLMOD, as
  tests/optim/test_large_systems.cpp does (bench/solver_runs only: the command line has no
  such option), against `scipy.optimize.root(method='krylov')` with a vectorized residual, both
  without a preconditioner and with the one scipy's own tutorial builds for this problem (an
  spilu of the Laplacian as `jac_options={'inner_M': …}`). scipy's tolerance is the same ‖F‖₂
  (`fatol` with `tol_norm=numpy.linalg.norm`).
- Constrained problems whose optima are known: a quadratic on a disc, a box-bounded quadratic
  whose optimum lies on a face, an equality-constrained least-squares problem (optimum from
  its KKT system, solved here in numpy), and min Σx_i² s.t. Σx_i = n (x_i = 1) at n = 10, 10³,
  10⁵: tapegrad's minimize_constrained (IPOPT, tol 1e-8) against scipy's SLSQP (ftol 1e-10)
  with exact gradients and constraint Jacobians; the error is max |x − x*| at the point each
  returned.

Every run's answer is checked here, in numpy, at the point it returned: the gradient norm
(to 1 % above the tolerance, rounding between two evaluations of the same gradient) or the
residual ‖F‖₂, or the distance to the known optimum (at most 1e-6). A run that fails the
check, or ends with an error, is marked ✗ and its time is not compared. Times are medians
of 3 runs; a configuration whose first run takes over a minute is run once, and one that
does not end within --timeout=SECONDS (default 600) is stopped and marked.

    /usr/bin/python3 bench/solvers_vs_scipy.py                   # prints the table
    /usr/bin/python3 bench/solvers_vs_scipy.py --quick           # n ≤ 10⁴, N ≤ 100, one run each
    /usr/bin/python3 bench/solvers_vs_scipy.py --tables=bratu,constrained   # some of the tables
    /usr/bin/python3 bench/solvers_vs_scipy.py --report=bench/RESULTS.md

`make bench` runs the last of these."""
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from results_section import write_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAPEGRAD = os.path.join(ROOT, "build", "native", "cli", "tapegrad")
SOLVER_RUNS = os.path.join(ROOT, "build", "native", "bench", "solver_runs")
PYTHON = sys.executable

GRADIENT_TOLERANCE = 1e-8
BRATU_TOLERANCE = 1e-10
BRATU_LAMBDA = 5.0
OPTIMUM_TOLERANCE = 1e-6  # max |x − x*| for a constrained run to count as solved
CHECK_SLACK = 1.01  # a recomputed norm may exceed the solver's own by rounding
MAX_STEPS = 100000
RUNS = 3
LONG_RUN = 60.0  # seconds: a configuration whose first run takes longer is run once

UNCONSTRAINED_SIZES = [10**3, 10**4, 10**5, 10**6]
BRATU_GRIDS = [100, 300, 1000]
SUM_SIZES = [10, 10**3, 10**5]
QUICK_UNCONSTRAINED_SIZES = [10**3, 10**4]
QUICK_BRATU_GRIDS = [30, 100]
QUICK_SUM_SIZES = [10, 10**3]


# ---- The problems, in numpy ----

def rosenbrock(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def rosenbrock_gradient(x):
    # ∂f/∂x_i = −400 x_i (x_{i+1} − x_i²) − 2 (1 − x_i)   (terms of i < n−1)
    #         + 200 (x_i − x_{i−1}²)                      (terms of i > 0)
    g = np.zeros_like(x)
    inner = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * inner - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * inner
    return g


def rosenbrock_hessp(x, p):
    # H is tridiagonal: H_ii = 1200 x_i² − 400 x_{i+1} + 2 (i < n−1) + 200 (i > 0),
    # H_{i,i+1} = H_{i+1,i} = −400 x_i.
    diagonal = np.zeros_like(x)
    diagonal[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    diagonal[1:] += 200.0
    off = -400.0 * x[:-1]
    hp = diagonal * p
    hp[:-1] += off * p[1:]
    hp[1:] += off * p[:-1]
    return hp


def broyden_residual(x):
    # F_i = (3 − 2x_i) x_i − x_{i−1} − 2 x_{i+1} + 1, x_{−1} = x_n = 0
    r = (3.0 - 2.0 * x) * x + 1.0
    r[1:] -= x[:-1]
    r[:-1] -= 2.0 * x[1:]
    return r


def broyden_jv(x, v):
    # J is tridiagonal: J_ii = 3 − 4x_i, J_{i,i−1} = −1, J_{i,i+1} = −2.
    out = (3.0 - 4.0 * x) * v
    out[1:] -= v[:-1]
    out[:-1] -= 2.0 * v[1:]
    return out


def broyden_jtv(x, w):
    # (Jᵀw)_j = (3 − 4x_j) w_j − w_{j+1} − 2 w_{j−1}
    out = (3.0 - 4.0 * x) * w
    out[:-1] -= w[1:]
    out[1:] -= 2.0 * w[:-1]
    return out


def broyden(x):
    r = broyden_residual(x)
    return float(r @ r)


def broyden_gradient(x):
    # ∇ Σ F_i² = 2 Jᵀ F
    return 2.0 * broyden_jtv(x, broyden_residual(x))


def broyden_hessp(x, p):
    # ∇²f = 2 (JᵀJ + Σ F_i ∇²F_i), and ∇²F_i = −4 e_i e_iᵀ: H p = 2 (Jᵀ(J p) − 4 F ⊙ p)
    return 2.0 * (broyden_jtv(x, broyden_jv(x, p)) - 4.0 * broyden_residual(x) * p)


UNCONSTRAINED = {
    "rosenbrock": (rosenbrock, rosenbrock_gradient, rosenbrock_hessp),
    "broyden": (broyden, broyden_gradient, broyden_hessp),
}


def start_point(start, n):
    """Every x_i = start, or (−1.2, 1, −1.2, 1, …) for "alternating"."""
    if start == "alternating":
        x = np.ones(n)
        x[0::2] = -1.2
        return x
    return np.full(n, float(start))


def bratu_residual(u, grid):
    # F = 4u − (the neighbours inside the grid) − h²λ exp(u), on the grid×grid interior
    h = 1.0 / (grid + 1)
    v = u.reshape(grid, grid)
    f = 4.0 * v - h * h * BRATU_LAMBDA * np.exp(v)
    f[1:, :] -= v[:-1, :]
    f[:-1, :] -= v[1:, :]
    f[:, 1:] -= v[:, :-1]
    f[:, :-1] -= v[:, 1:]
    return f.ravel()


def bratu_laplacian_preconditioner(grid):
    """scipy's tutorial preconditioner ("Solving a large problem", scipy.optimize): an
    incomplete LU (spilu) of the five-point Laplacian, J at λ = 0, as a LinearOperator."""
    from scipy.sparse import diags, identity, kron
    from scipy.sparse.linalg import LinearOperator, spilu
    t = diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(grid, grid))
    laplacian = (kron(t, identity(grid)) + kron(identity(grid), t)).tocsc()
    ilu = spilu(laplacian)
    return LinearOperator(laplacian.shape, ilu.solve)


def disc_problem():
    # min (x−2)² + (y−1)² s.t. x² + y² ≤ 1: the projection of (2, 1) onto the disc, (2, 1)/√5
    return {"x0": np.zeros(2), "optimum": np.array([2.0, 1.0]) / math.sqrt(5.0)}


def box_problem():
    # min (x−3)² + (y−½)² + (z+2)² on [0, 1]³: x at its upper face, z at its lower, y inside
    return {"x0": np.full(3, 0.5), "optimum": np.array([1.0, 0.5, 0.0])}


def eq_lsq_data():
    # The same numbers as bench/solver_runs.cpp (lsq_a, lsq_b, lsq_c, lsq_d).
    a = np.array([[1, 2, 0, 1], [0, 1, 3, 0], [2, 0, 1, 1], [1, 1, 1, 1], [0, 3, 0, 2], [4, 0, 1, 0]], float)
    b = np.array([1, -2, 3, 0.5, 2, -1], float)
    c = np.array([[1, 1, 1, 1], [1, -1, 2, 0]], float)
    d = np.array([2, 0.5])
    return a, b, c, d


def eq_lsq_problem():
    # min ‖Ax − b‖² s.t. Cx = d: the KKT system [2AᵀA Cᵀ; C 0] [x; λ] = [2Aᵀb; d]
    a, b, c, d = eq_lsq_data()
    kkt = np.block([[2 * a.T @ a, c.T], [c, np.zeros((2, 2))]])
    solution = np.linalg.solve(kkt, np.concatenate([2 * a.T @ b, d]))
    return {"x0": np.zeros(4), "optimum": solution[:4]}


def sum_problem(n):
    # min Σx_i² s.t. Σx_i = n: ∇ = 2x = λ·1 and Σx_i = n give x_i = 1
    return {"x0": np.zeros(n), "optimum": np.ones(n)}


def constrained_problem(variant, n=None):
    if variant == "sum-equals-n":
        return sum_problem(n)
    return {"disc": disc_problem, "box": box_problem, "eq-lsq": eq_lsq_problem}[variant]()


def check_derivatives():
    """The hand-written gradients and Hessian-vector products against central differences at
    n = 7, at a random point, before anything is timed."""
    rng = np.random.default_rng(0)
    n, step = 7, 1e-6
    for name, (f, gradient, hessp) in UNCONSTRAINED.items():
        x, p = rng.uniform(-1.5, 1.5, n), rng.standard_normal(n)
        g = gradient(x)
        fd_g = np.array([(f(x + step * e) - f(x - step * e)) / (2 * step) for e in np.eye(n)])
        assert np.allclose(g, fd_g, rtol=1e-6, atol=1e-6 * np.abs(g).max()), (name, g, fd_g)
        fd_hp = (gradient(x + step * p) - gradient(x - step * p)) / (2 * step)
        hp = hessp(x, p)
        assert np.allclose(hp, fd_hp, rtol=1e-6, atol=1e-6 * np.abs(hp).max()), (name, hp, fd_hp)
    x = rng.uniform(-1.5, 1.5, n)  # the Broyden Jacobian's products against its columns and rows
    jacobian = np.column_stack([(broyden_residual(x + step * e) - broyden_residual(x - step * e)) / (2 * step)
                                for e in np.eye(n)])
    for j, e in enumerate(np.eye(n)):
        assert np.allclose(broyden_jv(x, e), jacobian[:, j], atol=1e-7)
        assert np.allclose(broyden_jtv(x, e), jacobian[j, :], atol=1e-7)
    _, _, c, d = eq_lsq_data()
    optimum = eq_lsq_problem()["optimum"]
    assert np.allclose(c @ optimum, d)


# ---- scipy's side: one run in this process, started by the parent with --scipy ----

def scipy_run(words, out):
    import scipy.optimize
    start = time.perf_counter()
    if words[0] in UNCONSTRAINED:
        f, gradient, hessp = UNCONSTRAINED[words[0]]
        x0 = start_point(words[2], int(words[1]))
        r = scipy.optimize.minimize(f, x0, method="trust-ncg", jac=gradient, hessp=hessp,
                                    options={"gtol": GRADIENT_TOLERANCE, "maxiter": MAX_STEPS})
        seconds = time.perf_counter() - start
        result = {"iterations": int(r.nit), "norm": float(np.linalg.norm(r.jac)), "message": str(r.message),
                  "hessian_vector_products": int(r.get("nhev", 0))}
    elif words[0] == "bratu":
        grid, method = int(words[1]), words[2]
        options = {"fatol": BRATU_TOLERANCE, "tol_norm": np.linalg.norm, "maxiter": 1000}
        if method == "krylov-laplacian-ilu":
            options["jac_options"] = {"inner_M": bratu_laplacian_preconditioner(grid)}
        r = scipy.optimize.root(lambda u: bratu_residual(u, grid), np.zeros(grid * grid), method="krylov",
                                options=options)
        seconds = time.perf_counter() - start
        result = {"iterations": int(r.nit), "norm": float(np.linalg.norm(r.fun)), "message": str(r.message)}
    else:
        variant = words[1]
        problem = constrained_problem(variant, int(words[2]) if len(words) > 2 else None)
        x0 = problem["x0"]
        bounds, constraints = None, []
        if variant == "disc":
            fun = lambda x: (x[0] - 2) ** 2 + (x[1] - 1) ** 2
            jac = lambda x: np.array([2 * (x[0] - 2), 2 * (x[1] - 1)])
            # SLSQP's inequalities are c(x) ≥ 0: 1 − x² − y² ≥ 0, gradient (−2x, −2y)
            constraints = [{"type": "ineq", "fun": lambda x: np.array([1 - x[0] ** 2 - x[1] ** 2]),
                            "jac": lambda x: np.array([[-2 * x[0], -2 * x[1]]])}]
        elif variant == "box":
            shift = np.array([3.0, 0.5, -2.0])
            fun = lambda x: float(np.sum((x - shift) ** 2))
            jac = lambda x: 2 * (x - shift)
            bounds = [(0.0, 1.0)] * 3
        elif variant == "eq-lsq":
            a, b, c, d = eq_lsq_data()
            fun = lambda x: float(np.sum((a @ x - b) ** 2))
            jac = lambda x: 2 * a.T @ (a @ x - b)  # ∇‖Ax − b‖² = 2Aᵀ(Ax − b)
            constraints = [{"type": "eq", "fun": lambda x: c @ x - d, "jac": lambda x: c}]
        else:
            n = len(x0)
            fun = lambda x: float(x @ x)
            jac = lambda x: 2 * x
            constraints = [{"type": "eq", "fun": lambda x: np.array([np.sum(x) - n]),
                            "jac": lambda x: np.ones((1, n))}]
        r = scipy.optimize.minimize(fun, x0, method="SLSQP", jac=jac, bounds=bounds, constraints=constraints,
                                    options={"ftol": 1e-10, "maxiter": 1000})
        seconds = time.perf_counter() - start
        result = {"iterations": int(r.nit), "norm": float("nan"), "message": str(r.message),
                  "success": bool(r.success)}
    np.asarray(r.x, dtype=np.float64).tofile(out)
    result["seconds"] = seconds
    print(json.dumps(result))


# ---- Running and checking ----

class Outcome:
    """One whole-process run: its wall-clock time and what was checked at its point."""

    def __init__(self, wall, inside=None, iterations=None, reported=None, checked=None, ok=False, note=""):
        self.wall, self.inside, self.iterations = wall, inside, iterations
        self.reported, self.checked, self.ok, self.note = reported, checked, ok, note


def run_process(command, timeout):
    """(seconds, CompletedProcess or None when stopped at the timeout)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None
    return time.perf_counter() - start, done


def read_raw_point(path):
    return np.fromfile(path, dtype=np.float64) if os.path.exists(path) else None


def read_point_file(path, n, name="x"):
    """The vector `name` of a `tapegrad … --out` file ("x[3] = 1.5" a line)."""
    if not os.path.exists(path):
        return None
    x = np.full(n, np.nan)
    pattern = re.compile(r"^" + re.escape(name) + r"\[(\d+)\] = (\S+)$")
    with open(path) as f:
        for line in f:
            m = pattern.match(line.strip())
            if m:
                x[int(m.group(1))] = float(m.group(2))
    return x


def line_value(text, prefix):
    for line in text.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].split()[0]
    return None


def remove(path):
    if os.path.exists(path):
        os.remove(path)


def checked_outcome(wall, done, x, check, inside=None, iterations=None, reported=None):
    """The Outcome of a finished process whose point is x (None: not written)."""
    if done is None:
        return Outcome(wall, note="stopped at the timeout")
    if x is None or x.size == 0 or not np.all(np.isfinite(x)):
        error = (done.stderr.strip().splitlines() or ["no point written"])[-1]
        return Outcome(wall, inside, iterations, reported, note=f"exit {done.returncode}: {error[:120]}")
    value, ok, remark = check(x)
    note = "; ".join(part for part in ["" if done.returncode == 0 else f"exit {done.returncode}", remark] if part)
    return Outcome(wall, inside, iterations, reported, value, ok, note)


def gradient_check(f, gradient):
    def check(x):
        norm = float(np.linalg.norm(gradient(x)))
        value = f(x)
        remark = f"f = {value:.4g} (a local minimum)" if value > 1e-6 else ""
        return norm, norm <= GRADIENT_TOLERANCE * CHECK_SLACK, remark
    return check


def bratu_check(grid):
    def check(u):
        if u.size != grid * grid:
            return float("nan"), False, "the point has the wrong size"
        norm = float(np.linalg.norm(bratu_residual(u, grid)))
        return norm, norm <= BRATU_TOLERANCE * CHECK_SLACK, ""
    return check


def optimum_check(optimum):
    def check(x):
        if x.shape != optimum.shape:
            return float("nan"), False, "the point has the wrong size"
        error = float(np.max(np.abs(x - optimum)))
        return error, error <= OPTIMUM_TOLERANCE, ""
    return check


def run_scipy(words, check, scratch, timeout):
    out = os.path.join(scratch, "scipy.bin")
    remove(out)
    wall, done = run_process([PYTHON, os.path.abspath(__file__), "--scipy", *words, "--out", out], timeout)
    if done is None or done.returncode != 0:
        return checked_outcome(wall, done, None, check)
    reported = json.loads(done.stdout.strip().splitlines()[-1])
    outcome = checked_outcome(wall, done, read_raw_point(out), check, reported["seconds"], reported["iterations"],
                              reported["norm"])
    if not reported.get("success", True):  # SLSQP's own verdict, beside the distance checked here
        outcome.note = "; ".join(part for part in [outcome.note, "SLSQP: " + reported["message"]] if part)
    return outcome


def run_solver_runs(words, check, scratch, timeout, tolerance):
    out = os.path.join(scratch, "solver_runs.bin")
    remove(out)
    command = [SOLVER_RUNS, *words, "--out", out] + (["--tol", repr(tolerance)] if tolerance else [])
    wall, done = run_process(command, timeout)
    reported = {}
    if done is not None and done.stdout.strip():
        reported = json.loads(done.stdout.strip().splitlines()[-1])
    norm = reported.get("gradient_norm", reported.get("residual", reported.get("constraint_violation")))
    return checked_outcome(wall, done, read_raw_point(out), check, reported.get("seconds"),
                           reported.get("iterations"), norm)


# The expressions the command line minimizes, with a vector x (--dim x=N).
CLI_EXPRESSIONS = {
    "rosenbrock": "sum(i = 0..len(x)-2: 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)",
    "broyden": "((3-2*x[0])*x[0] - 2*x[1] + 1)^2"
               " + sum(i = 1..len(x)-2: ((3-2*x[i])*x[i] - x[i-1] - 2*x[i+1] + 1)^2)"
               " + ((3-2*x[len(x)-1])*x[len(x)-1] - x[len(x)-2] + 1)^2",
}


def write_start_file(path, x):
    with open(path, "w") as f:
        f.write("".join(f"x[{i}] = {v!r}\n" for i, v in enumerate(x)))


def run_cli_minimize(problem, n, start, method, check, scratch, timeout):
    if start == "alternating":  # a point file, "x[i] = v" a line
        start_file = os.path.join(scratch, f"start-{n}.txt")
        if not os.path.exists(start_file):
            write_start_file(start_file, start_point(start, n))
        start_argument = "@" + start_file
    else:
        start_argument = f"x={start}"
    out = os.path.join(scratch, "cli-point.txt")
    remove(out)
    command = [TAPEGRAD, "minimize", CLI_EXPRESSIONS[problem], "--dim", f"x={n}", "--from", start_argument,
               "--optimizer", method, "--tol-grad", repr(GRADIENT_TOLERANCE), "--steps", str(MAX_STEPS),
               "--out", out]
    if method == "newton":
        command += ["--hessian", "sparse"]
    wall, done = run_process(command, timeout)
    steps = line_value(done.stdout, "steps = ") if done else None
    norm = line_value(done.stdout, "|grad| = ") if done else None
    return checked_outcome(wall, done, read_point_file(out, n) if done else None, check, None,
                           int(steps) if steps else None, float(norm) if norm else None)


def write_bratu_equations(path, grid):
    """One equation a line, "4*u[k] - u[k-1] - … - C*exp(u[k]) = 0", C = h²λ to 17 digits."""
    h = 1.0 / (grid + 1)
    c = repr(h * h * BRATU_LAMBDA)
    with open(path, "w") as f:
        for i in range(grid):
            for j in range(grid):
                k = i * grid + j
                terms = [f"4*u[{k}]"]
                if j > 0:
                    terms.append(f"u[{k - 1}]")
                if j + 1 < grid:
                    terms.append(f"u[{k + 1}]")
                if i > 0:
                    terms.append(f"u[{k - grid}]")
                if i + 1 < grid:
                    terms.append(f"u[{k + grid}]")
                f.write(" - ".join(terms) + f" - {c}*exp(u[{k}]) = 0\n")


def run_cli_solve(grid, method, check, scratch, timeout):
    equations = os.path.join(scratch, f"bratu-{grid}.txt")
    if not os.path.exists(equations):
        write_bratu_equations(equations, grid)
    out = os.path.join(scratch, "cli-root.txt")
    remove(out)
    command = [TAPEGRAD, "solve", "@" + equations, "--dim", f"u={grid * grid}", "--from", "u=0",
               "--tol", repr(BRATU_TOLERANCE), "--max-iter", "1000", "--out", out]
    command += ["--method", "newton", "--jacobian", "sparse"] if method == "sparse-lu" else \
        ["--method", "newton-krylov", "--preconditioner", "ilu"]
    wall, done = run_process(command, timeout)
    iterations = line_value(done.stdout, "iterations = ") if done else None
    norm = line_value(done.stdout, "residual = ") if done else None
    return checked_outcome(wall, done, read_point_file(out, grid * grid, "u") if done else None, check, None,
                           int(iterations) if iterations else None, float(norm) if norm else None)


def cli_constrained_command(variant, n):
    """(expression, constraints, start, dimensions, names of the point's coordinates)."""
    if variant == "disc":
        return "(x-2)^2 + (y-1)^2", "x^2 + y^2 <= 1", "x=0,y=0", None, ["x", "y"]
    if variant == "box":
        return ("(x-3)^2 + (y-0.5)^2 + (z+2)^2", "0 <= x; x <= 1; 0 <= y; y <= 1; 0 <= z; z <= 1",
                "x=0.5,y=0.5,z=0.5", None, ["x", "y", "z"])
    if variant == "eq-lsq":
        a, b, c, d = eq_lsq_data()

        def linear(row, constant):
            return " + ".join(f"{v!r}*x[{j}]" for j, v in enumerate(row) if v != 0) + f" - {constant!r}"
        expression = " + ".join(f"({linear(row, constant)})^2" for row, constant in zip(a, b))
        constraints = "; ".join(f"{linear(row, 0.0)} = {constant!r}" for row, constant in zip(c, d))
        return expression, constraints, "x=0", "x=4", None
    return "sum(x^2)", f"sum(x) = {n}", "x=0", f"x={n}", None


def run_cli_constrained(variant, n, check, timeout):
    expression, constraints, start, dimensions, names = cli_constrained_command(variant, n)
    command = [TAPEGRAD, "minimize", expression, "--subject-to", constraints, "--from", start, "--json"]
    if dimensions:
        command += ["--dim", dimensions]
    wall, done = run_process(command, timeout)
    x = iterations = violation = None
    if done is not None and done.stdout.strip().startswith("{"):
        result = json.loads(done.stdout)
        point = result["x"]
        x = np.array([point[name] for name in names]) if names else np.array(point["x"], dtype=float)
        iterations, violation = result["iterations"], result["constraint_violation"]
    return checked_outcome(wall, done, x, check, None, iterations, violation)


def repeated(run, runs):
    """Runs `run` up to `runs` times (once when the first takes over LONG_RUN seconds or fails):
    (median wall time, the outcomes)."""
    outcomes = [run()]
    while len(outcomes) < runs and outcomes[0].wall <= LONG_RUN and outcomes[0].ok:
        outcomes.append(run())
    return statistics.median(o.wall for o in outcomes), outcomes


# ---- The table ----

def number(value, digits=3):
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def row_cells(label, median, outcomes, best_scipy, is_scipy):
    last = outcomes[-1]
    ok = all(o.ok for o in outcomes)
    if ok:
        time_cell = f"{median:.3f}"
    elif last.note == "stopped at the timeout":
        time_cell = f"✗ > {median:.0f}"
    else:
        time_cell = f"✗ {median:.3f}"
    if is_scipy:
        speed_up = ""
    elif not ok:
        speed_up = "—"
    elif best_scipy is None:
        speed_up = "scipy ✗"
    else:
        speed_up = f"{best_scipy / median:.2f}"
    return [label, time_cell, str(len(outcomes)), number(last.inside), number(last.iterations),
            number(last.reported), number(last.checked), speed_up, last.note]


HEADER = ["solver", "whole process (s)", "runs", "inside (s)", "iterations", "reported", "checked in numpy",
          "scipy ÷ this", "note"]


def table_lines(title, groups):
    """groups: (size label, [(solver label, median, outcomes, is_scipy)])."""
    lines = [f"**{title}**", "", "| size | " + " | ".join(HEADER) + " |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for size, rows in groups:
        scipy_times = [m for _, m, outcomes, is_scipy in rows if is_scipy and all(o.ok for o in outcomes)]
        best = min(scipy_times) if scipy_times else None
        for label, median, outcomes, is_scipy in rows:
            lines.append(f"| {size} | " + " | ".join(row_cells(label, median, outcomes, best, is_scipy)) + " |")
    return lines + [""]


def progress(text):
    print(text, file=sys.stderr, flush=True)


def measure(label, run, runs):
    median, outcomes = repeated(run, runs)
    last = outcomes[-1]
    progress(f"  {label}: {median:.3f} s over {len(outcomes)} run(s), checked {number(last.checked)}"
             f"{'' if all(o.ok for o in outcomes) else ' ✗ ' + last.note}")
    return median, outcomes


# (problem, start, title): the chained Rosenbrock function from x = 1.2 takes a number of
# steps that does not grow with n; from (−1.2, 1, …) every method takes steps in proportion
# to n (the minimum spreads along the chain by about one index a step), so that start is
# measured at n = 10³ only.
UNCONSTRAINED_CASES = [
    ("rosenbrock", "1.2", "Chained Rosenbrock from x = 1.2, to ‖∇f‖₂ ≤ 1e-8", None),
    ("rosenbrock", "alternating", "Chained Rosenbrock from (−1.2, 1, −1.2, …), to ‖∇f‖₂ ≤ 1e-8", 10**3),
    ("broyden", "-1", "Broyden tridiagonal as Σ F_i² from x = −1, to ‖∇f‖₂ ≤ 1e-8", None),
]


def unconstrained_tables(sizes, runs, timeout, scratch, quick):
    lines = []
    for problem, start, title, largest in UNCONSTRAINED_CASES:
        groups = []
        check = gradient_check(*UNCONSTRAINED[problem][:2])
        if largest is not None and quick:
            largest = 10**3
        for n in [n for n in sizes if largest is None or n <= largest]:
            progress(f"{problem} from {start}, n = {n}")
            rows = []
            for label, run, is_scipy in [
                ("scipy trust-ncg", lambda: run_scipy([problem, str(n), start], check, scratch, timeout), True),
                ("tapegrad minimize --optimizer newton --hessian sparse",
                 lambda: run_cli_minimize(problem, n, start, "newton", check, scratch, timeout), False),
                ("tapegrad minimize --optimizer trust-ncg",
                 lambda: run_cli_minimize(problem, n, start, "trust-ncg", check, scratch, timeout), False),
                ("solver_runs newton (sparse Hessian)",
                 lambda: run_solver_runs([problem, str(n), "newton", "--start", start], check, scratch, timeout,
                                         GRADIENT_TOLERANCE), False),
                ("solver_runs trust-ncg",
                 lambda: run_solver_runs([problem, str(n), "trust-ncg", "--start", start], check, scratch,
                                         timeout, GRADIENT_TOLERANCE), False)]:
                median, outcomes = measure(label, run, runs)
                rows.append((label, median, outcomes, is_scipy))
            groups.append((f"n = {n}", rows))
        lines += table_lines(title, groups)
    return lines


def bratu_table(grids, runs, timeout, scratch):
    groups = []
    for grid in grids:
        progress(f"bratu {grid}×{grid}")
        check = bratu_check(grid)
        rows = []
        for label, run, is_scipy in [
            ("scipy root krylov", lambda: run_scipy(["bratu", str(grid), "krylov"], check, scratch, timeout), True),
            ("scipy root krylov, inner_M = spilu(Laplacian)",
             lambda: run_scipy(["bratu", str(grid), "krylov-laplacian-ilu"], check, scratch, timeout), True),
            ("tapegrad solve --jacobian sparse (sparse LU)",
             lambda: run_cli_solve(grid, "sparse-lu", check, scratch, timeout), False),
            ("tapegrad solve --method newton-krylov --preconditioner ilu",
             lambda: run_cli_solve(grid, "newton-krylov", check, scratch, timeout), False),
            ("solver_runs sparse-lu",
             lambda: run_solver_runs(["bratu", str(grid), "sparse-lu"], check, scratch, timeout,
                                     BRATU_TOLERANCE), False),
            ("solver_runs newton-krylov (ILU of J)",
             lambda: run_solver_runs(["bratu", str(grid), "newton-krylov"], check, scratch, timeout,
                                     BRATU_TOLERANCE), False),
            ("solver_runs newton-krylov (Cholesky of the Laplacian, factored once)",
             lambda: run_solver_runs(["bratu", str(grid), "newton-krylov-laplacian"], check, scratch, timeout,
                                     BRATU_TOLERANCE), False)]:
            median, outcomes = measure(label, run, runs)
            rows.append((label, median, outcomes, is_scipy))
        groups.append((f"{grid}×{grid} ({grid * grid} unknowns)", rows))
    return table_lines("Bratu, λ = 5, to ‖F‖₂ ≤ 1e-10 (F scaled by h²), from u = 0", groups)


def constrained_table(sum_sizes, runs, timeout, scratch):
    cases = [("disc", None, "quadratic on a disc"), ("box", None, "box-bounded quadratic"),
             ("eq-lsq", None, "equality-constrained least squares")]
    cases += [("sum-equals-n", n, f"Σx² s.t. Σx = n, n = {n}") for n in sum_sizes]
    groups = []
    for variant, n, size_label in cases:
        progress(f"constrained {variant} {n or ''}")
        check = optimum_check(constrained_problem(variant, n)["optimum"])
        words = ["constrained", variant] + ([str(n)] if n else [])
        rows = []
        for label, run, is_scipy in [
            ("scipy SLSQP", lambda: run_scipy(words, check, scratch, timeout), True),
            ("tapegrad minimize --subject-to (IPOPT)", lambda: run_cli_constrained(variant, n, check, timeout),
             False),
            ("solver_runs constrained (IPOPT)", lambda: run_solver_runs(words, check, scratch, timeout, None),
             False)]:
            median, outcomes = measure(label, run, runs)
            rows.append((label, median, outcomes, is_scipy))
        groups.append((size_label, rows))
    return table_lines("Constrained problems with known optima (checked: max |x − x*|)", groups)


TABLES = ("unconstrained", "bratu", "constrained")


def tables(quick, timeout, selected=TABLES):
    check_derivatives()
    for program in (TAPEGRAD, SOLVER_RUNS):
        if not os.access(program, os.X_OK):
            sys.exit(f"{program} is missing: cmake --build --preset native --target solver_runs tapegrad_cli")
    runs = 1 if quick else RUNS
    lines = []
    with tempfile.TemporaryDirectory() as scratch:
        if "unconstrained" in selected:
            lines += unconstrained_tables(QUICK_UNCONSTRAINED_SIZES if quick else UNCONSTRAINED_SIZES, runs,
                                          timeout, scratch, quick)
        if "bratu" in selected:
            lines += bratu_table(QUICK_BRATU_GRIDS if quick else BRATU_GRIDS, runs, timeout, scratch)
        if "constrained" in selected:
            lines += constrained_table(QUICK_SUM_SIZES if quick else SUM_SIZES, runs, timeout, scratch)
    return "\n".join(lines)


def main():
    if "--scipy" in sys.argv:
        words = sys.argv[sys.argv.index("--scipy") + 1:]
        out = words[words.index("--out") + 1]
        scipy_run(words[:words.index("--out")], out)
        return
    quick = "--quick" in sys.argv
    timeouts = [float(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--timeout=")]
    chosen = [a.split("=", 1)[1].split(",") for a in sys.argv[1:] if a.startswith("--tables=")]
    selected = chosen[0] if chosen else TABLES
    unknown = [t for t in selected if t not in TABLES]
    if unknown:
        sys.exit(f"--tables: {', '.join(unknown)} (expected some of {', '.join(TABLES)})")
    report = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--report=")]
    if report and chosen:
        sys.exit("--report writes every table: leave --tables out")
    body = tables(quick, timeouts[0] if timeouts else 600.0, selected)
    if not report:
        print(body)
        return
    import scipy
    write_section(report[0], "solvers_vs_scipy", f"""## Solvers against scipy: large and constrained problems

Produced by `make bench`, which runs

    /usr/bin/python3 bench/solvers_vs_scipy.py --report=bench/RESULTS.md

- Date: {datetime.date.today()}; scipy {scipy.__version__}, numpy {np.__version__} (Debian's), Python
  {platform.python_version()}; {os.cpu_count()} hardware threads.
- Every time is a whole process, wall clock, the median of the runs counted in "runs" (3, or 1
  when the first took over a minute): scipy as its own `python3` process (interpreter start,
  imports, the problem built, the solve), tapegrad as the `tapegrad` command (parsing the
  expression or the equation file, the start, writing the point with --out) or as
  `bench/solver_runs`, a program written against the library. "inside" is the solver call
  alone as each program measured it; "reported" is the gradient norm, residual or constraint
  violation the solver reported, "checked in numpy" what this script recomputed at the point
  returned (for the constrained problems the distance max |x − x*| to the known optimum). ✗
  marks a run that did not reach the tolerance, failed or was stopped at the timeout; its time
  is no result. "scipy ÷ this" divides the fastest scipy configuration that succeeded by this
  row's time (above 1: tapegrad faster).
- scipy is given hand-written vectorized derivatives: trust-ncg gets `jac` and `hessp`, SLSQP
  the gradient and the constraints' Jacobians; `root(method='krylov')` forms J·v by finite
  differences of the residual (it takes no Jacobian).

{body}
Where the time goes (profiled with `perf` at n = 10⁴ and on the 100×100 grid, while this
section's script was written): scipy's whole process starts at about 0.25–0.35 s (Python,
numpy and scipy.optimize imported), which is most of its time up to n = 10⁴ and why tapegrad
is ahead there; past that the comparison is per iteration, and a numpy `hessp` of these
chained functions is a dozen vector operations, while tapegrad's Hessian-vector products
record and sweep a tape. `tapegrad minimize --optimizer trust-ncg` records the expression again
on Dual numbers through the command line's interpreter for every product
(`HessianOperator::hvp`); sparse Newton replays one recording instead, so it is the faster
method on the command line. Newton–Krylov with `--preconditioner ilu` spends most of its time in the incomplete LU
(Eigen's IncompleteLUT) made again at every iterate; the Laplacian factored once gives GMRES
fewer iterations for a fraction of the cost. From (−1.2, 1, −1.2, …) the chained Rosenbrock
function takes every method a number of steps in proportion to n, and what decides there is
the cost of a step.
""")


if __name__ == "__main__":
    main()
