"""SciPy peer for `stiff_rober` and `stiff_hires`: solve_ivp with LSODA, BDF and Radau.

ROBER on [0, 1e11] and HIRES on [0, 321.8122] (Test Set for IVP Solvers), with analytic dense
Jacobians, at the benchmark settings of test/fixtures/ode/stiff-references.json ("benchmark":
rtol 1e-8; scalar atol 1e-14 for ROBER, 1e-12 for HIRES; the same for every implementation).
One solve = one solve_ivp call from t0 to t1 (only the final state kept). params.max_rel_err
is max_i |y_i - ref_i| / |ref_i| against the published reference final state; nfev and njev
are solve_ivp's counts (nfev includes LSODA's and BDF's internal evaluations; no finite-
difference Jacobian evaluations since the Jacobian is analytic).

Prints one JSON object per line (DESIGN.md §5) with impl "scipy-LSODA", "scipy-BDF",
"scipy-Radau". Usage: python3 scipy_stiff.py [ID ...]
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFS = os.path.join(ROOT, "test", "fixtures", "ode", "stiff-references.json")
METHODS = ["LSODA", "BDF", "Radau"]


def rober_f(t, y):
    return np.array([
        -0.04 * y[0] + 1e4 * y[1] * y[2],
        0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1],
        3e7 * y[1] * y[1],
    ])


def rober_j(t, y):
    return np.array([
        [-0.04, 1e4 * y[2], 1e4 * y[1]],
        [0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1]],
        [0.0, 6e7 * y[1], 0.0],
    ])


def hires_f(t, y):
    y1, y2, y3, y4, y5, y6, y7, y8 = y
    r = 280.0 * y6 * y8
    return np.array([
        -1.71 * y1 + 0.43 * y2 + 8.32 * y3 + 0.0007,
        1.71 * y1 - 8.75 * y2,
        -10.03 * y3 + 0.43 * y4 + 0.035 * y5,
        8.32 * y2 + 1.71 * y3 - 1.12 * y4,
        -1.745 * y5 + 0.43 * y6 + 0.43 * y7,
        -r + 0.69 * y4 + 1.71 * y5 - 0.43 * y6 + 0.69 * y7,
        r - 1.81 * y7,
        -r + 1.81 * y7,
    ])


def hires_j(t, y):
    J = np.zeros((8, 8))
    J[0, 0], J[0, 1], J[0, 2] = -1.71, 0.43, 8.32
    J[1, 0], J[1, 1] = 1.71, -8.75
    J[2, 2], J[2, 3], J[2, 4] = -10.03, 0.43, 0.035
    J[3, 1], J[3, 2], J[3, 3] = 8.32, 1.71, -1.12
    J[4, 4], J[4, 5], J[4, 6] = -1.745, 0.43, 0.43
    J[5, 3], J[5, 4], J[5, 5], J[5, 6], J[5, 7] = 0.69, 1.71, -280.0 * y[7] - 0.43, 0.69, -280.0 * y[5]
    J[6, 5], J[6, 6], J[6, 7] = 280.0 * y[7], -1.81, 280.0 * y[5]
    J[7, 5], J[7, 6], J[7, 7] = -280.0 * y[7], 1.81, -280.0 * y[5]
    return J


PROBLEMS = {"stiff_rober": ("ROBER", rober_f, rober_j), "stiff_hires": ("HIRES", hires_f, hires_j)}


def time_calls(fn, warmup_s=0.5, samples=15, min_sample_s=0.02):
    """Per-call ms, one value per sample; each sample averages enough calls to last min_sample_s."""
    t0 = time.perf_counter()
    calls = 0
    while time.perf_counter() - t0 < warmup_s or calls < 2:
        fn()
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    inner = max(1, round(min_sample_s / max(per_call, 1e-9)))
    out = []
    for _ in range(samples):
        s = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - s) / inner * 1000.0)
    return out


def bench(workload, refs):
    pid, f, jac = PROBLEMS[workload]
    prob = refs["problems"][pid]
    settings = refs["benchmark"]
    rtol = settings["rtol"]
    atol = settings["atol"][workload]
    ref = np.asarray(prob["final"], dtype=float)
    span = (prob["t0"], prob["t1"])
    y0 = np.asarray(prob["y0"], dtype=float)
    for method in METHODS:
        solve = lambda: solve_ivp(f, span, y0, method=method, rtol=rtol, atol=atol, jac=jac)
        sol = solve()
        if not sol.success:
            print(f"scipy_stiff: {method} failed on {workload}: {sol.message}", file=sys.stderr)
            continue
        y = sol.y[:, -1]
        err = float(np.max(np.abs(y - ref) / np.abs(ref)))
        times = time_calls(solve)
        print(json.dumps({
            "workload": workload, "impl": f"scipy-{method}", "metric": "ms_per_solve",
            "median": statistics.median(times), "min": min(times), "max": max(times), "n": len(times),
            "params": {
                "max_rel_err": err, "nfev": int(sol.nfev), "njev": int(sol.njev), "nlu": int(sol.nlu),
                "rtol": rtol, "atol": atol, "jacobian": "analytic", "t1": span[1],
                "scipy": scipy.__version__, "numpy": np.__version__,
            },
        }), flush=True)


if __name__ == "__main__":
    with open(REFS) as fh:
        refs = json.load(fh)
    ids = sys.argv[1:] or list(PROBLEMS)
    for wid in ids:
        if wid in PROBLEMS:
            bench(wid, refs)
