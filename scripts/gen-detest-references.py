#!/usr/bin/env python3
"""Reference solutions for the ODE test problems of test/support/problems.ts.

1. DETEST classes A–E (Hull, Enright, Fellen, Sedgwick, SIAM J. Numer. Anal. 9(4):603–637,
   1972; as coded by Enright & Pryce, ACM TOMS 13(1):1–27, 1987): the state at t = 20,
   written to test/fixtures/ode/detest-references.json.

   For each problem the script computes
   - SciPy's solve_ivp DOP853 at rtol = atol = 1e-13 (double precision);
   - a high-precision value: the closed form where the problem has one (21 of the 25),
     evaluated with mpmath at 32 significant digits, and otherwise (B1, C5, E2, E3) mpmath's
     Taylor-series integrator (mpmath.odefun) at 32 digits;
   - an independent check of the high-precision value: mpmath.odefun at 20 digits (problems of
     dimension ≤ 4 and the numerical-only ones), or a second closed form (the matrix
     exponential of the linear problems B2, C1–C4).
   `final` is the high-precision value rounded to double; `est_rel_err` is its largest
   difference from the independent check, relative to the largest component; `dop853` holds
   SciPy's result with its difference from `final` (normwise and componentwise).

2. The stiff problems' published references (test/fixtures/ode/stiff-references.json,
   checked in by hand from the Test Set for IVP Solvers) are cross-checked with SciPy's Radau
   at rtol = 1e-12 with analytic Jacobians; the agreement is printed and recorded in that
   file under each problem's `scipy_radau_check` (the published values are left untouched),
   with f(t0, y0) and f(t1, final) (`f_y0`, `f_final`) to cross-check definitions.

Usage: /usr/bin/python3 scripts/gen-detest-references.py [--skip-stiff] [--skip-detest]
(SciPy and mpmath: Debian's python3-scipy, python3-mpmath.) Takes a few minutes.
"""
import json
import math
import os
import subprocess
import sys
import time

import mpmath
import numpy as np
import scipy
from scipy.integrate import solve_ivp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "ode")
DETEST_OUT = os.path.join(FIXTURES, "detest-references.json")
STIFF_FILE = os.path.join(FIXTURES, "stiff-references.json")

T_END = 20
HIGH_DPS = 32
CHECK_DPS = 20

# ------------------------------------------------------------------------------------------
# DETEST problem definitions. `f(t, y, m)` works with m = math (floats) or m = mpmath.mp
# (arbitrary precision); y0 entries are decimal strings so that mpmath reads them exactly as
# published.

C5_K2 = "2.95912208286"
C5_M0 = "1.00000597682"
C5_M = ["0.954786104043e-3", "0.285583733151e-3", "0.437273164546e-4", "0.517759138449e-4", "0.277777777778e-5"]
C5_Y0 = (
    "3.42947415189 3.35386959711 1.35494901715 6.64145542550 5.97156957878 2.18231499728 "
    "11.2630437207 14.6952576794 6.27960525067 -30.1552268759 1.65699966404 1.43785752721 "
    "-21.1238353380 28.4465098142 15.3882659679 -.557160570446 .505696783289 .230578543901 "
    "-.415570776342 .365682722812 .169143213293 -.325325669158 .189706021964 .0877265322780 "
    "-.0240476254170 -.287659532608 -.117219543175 -.176860753121 -.216393453025 -.0148647893090"
).split()


def num(m, s):
    """A decimal string as a float (m = math) or an mpf (m = mpmath.mp)."""
    return float(s) if m is math else m.mpf(s)


def f_c5(t, y, m):
    k2 = num(m, C5_K2)
    m0 = num(m, C5_M0)
    ms = [num(m, s) for s in C5_M]
    x = [y[3 * j:3 * j + 3] for j in range(5)]
    r3 = []
    for a in x:
        r2 = a[0] * a[0] + a[1] * a[1] + a[2] * a[2]
        r3.append(r2 * m.sqrt(r2))
    out = list(y[15:30])
    for j in range(5):
        for c in range(3):
            s = -(m0 + ms[j]) * x[j][c] / r3[j]
            for k in range(5):
                if k == j:
                    continue
                d = [x[k][i] - x[j][i] for i in range(3)]
                d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
                s += ms[k] * ((x[k][c] - x[j][c]) / (d2 * m.sqrt(d2)) - x[k][c] / r3[k])
            out.append(k2 * s)
    return out


def chain(kind, n):
    """Constant matrix of C1 ('c1'), C2 ('c2'), C3/C4 ('tri') as a list of rows of ints."""
    a = [[0] * n for _ in range(n)]
    for i in range(n):
        if kind == "tri":
            a[i][i] = -2
            if i > 0:
                a[i][i - 1] = 1
            if i < n - 1:
                a[i][i + 1] = 1
        elif kind == "c1":
            if i < n - 1:
                a[i][i] = -1
            if i > 0:
                a[i][i - 1] = 1
        else:
            if i < n - 1:
                a[i][i] = -(i + 1)
            if i > 0:
                a[i][i - 1] = i
    return a


def linear_f(a):
    def f(t, y, m):
        return [sum(a[i][j] * y[j] for j in range(len(y)) if a[i][j] != 0) for i in range(len(y))]

    return f


def orbit_f(t, y, m):
    r2 = y[0] * y[0] + y[1] * y[1]
    r3 = r2 * m.sqrt(r2)
    return [y[2], y[3], -y[0] / r3, -y[1] / r3]


# Closed forms at time t (mpmath, mp.dps set by the caller).
mp = mpmath.mp


def closed_a5(t):
    # Polar coordinates (t, y) = ρ(cos φ, sin φ): ρ = 4·exp(π/2 − φ), φ decreasing from π/2,
    # and t = ρ cos φ is monotone in φ on (−π/4, π/2].
    g = lambda phi: 4 * mp.exp(mp.pi / 2 - phi) * mp.cos(phi) - t
    phi = mp.findroot(g, (-mp.pi / 4 + mp.mpf("1e-6"), mp.pi / 2), solver="illinois")
    return [4 * mp.exp(mp.pi / 2 - phi) * mp.sin(phi)]


def closed_b3(t):
    # y₂ = u'/u with u(t) = Z(s), s = 2e^{−t/2}, Z = K1(2)·I0(s) + I1(2)·K0(s) (so that y₂(0) = 0).
    s = 2 * mp.exp(-t / 2)
    k12, i12 = mp.besselk(1, 2), mp.besseli(1, 2)
    y1 = mp.exp(-t)
    y2 = -(s / 2) * (k12 * mp.besseli(1, s) - i12 * mp.besselk(1, s)) / (k12 * mp.besseli(0, s) + i12 * mp.besselk(0, s))
    return [y1, y2, 1 - y1 - y2]


def closed_c2(t):
    e = mp.exp(-t)
    y = [e * (1 - e) ** (i - 1) for i in range(1, 10)]
    return y + [1 - mp.fsum(y)]


def closed_tri(t, n):
    # Eigen-expansion of tridiag(1, −2, 1): λ_k = −4 sin²(kπ/(2(n+1))), v_k(j) = sin(jkπ/(n+1)).
    out = []
    for j in range(1, n + 1):
        s = mp.fsum(
            mp.sin(k * mp.pi / (n + 1)) * mp.sin(j * k * mp.pi / (n + 1)) * mp.exp(-4 * mp.sin(k * mp.pi / (2 * (n + 1))) ** 2 * t)
            for k in range(1, n + 1)
        )
        out.append(2 * s / (n + 1))
    return out


def closed_kepler(t, e):
    E = mp.findroot(lambda u: u - e * mp.sin(u) - t, t)
    c = 1 - e * mp.cos(E)
    w = mp.sqrt(1 - e * e)
    return [mp.cos(E) - e, w * mp.sin(E), -mp.sin(E) / c, w * mp.cos(E) / c]


def closed_b5(t):
    sn, cn, dn = (mp.ellipfun(k, t, m=mp.mpf("0.51")) for k in ("sn", "cn", "dn"))
    return [sn, cn, dn]


def closed_e1(t):
    x = t + 1
    a = mp.sqrt(2 / mp.pi)
    return [a * mp.sin(x) / mp.sqrt(x), a * (mp.cos(x) / mp.sqrt(x) - mp.sin(x) / (2 * x * mp.sqrt(x)))]


def closed_e4(t):
    a, b = mp.mpf("0.032"), mp.mpf("0.4")
    w = mp.sqrt(a * b)
    return [30 + mp.log(mp.cosh(w * t)) / b, mp.sqrt(a / b) * mp.tanh(w * t)]


def closed_e5(t):
    x = 25 - t
    return [(25 * mp.log(25 / x) + (x * x - 625) / 50) / 2, (25 / x - x / 25) / 2]


def expm_check(a):
    def go(t, y0):
        A = mp.matrix(a)
        y = mp.expm(A * t) * mp.matrix(y0)
        return [y[i] for i in range(len(y0))]

    return go


def kepler_y0(e):
    """(1 − e, 0, 0, √((1 + e)/(1 − e))) as 30-digit decimal strings (e given as a decimal string)."""
    with mpmath.workdps(40):
        e = mp.mpf(e)
        return [mpmath.nstr(1 - e, 30), "0", "0", mpmath.nstr(mp.sqrt((1 + e) / (1 - e)), 30)]


ZEROS9 = ["0"] * 9
DETEST = {
    "A1": dict(f=lambda t, y, m: [-y[0]], y0=["1"], closed=lambda t: [mp.exp(-t)], closed_form="exp(-t)"),
    "A2": dict(f=lambda t, y, m: [-y[0] ** 3 / 2], y0=["1"], closed=lambda t: [1 / mp.sqrt(1 + t)], closed_form="1/sqrt(1+t)"),
    "A3": dict(f=lambda t, y, m: [y[0] * m.cos(t)], y0=["1"], closed=lambda t: [mp.exp(mp.sin(t))], closed_form="exp(sin t)"),
    "A4": dict(
        f=lambda t, y, m: [y[0] * num(m, "0.25") * (1 - y[0] / 20)],
        y0=["1"],
        params=[0.25, 20],
        closed=lambda t: [20 / (1 + 19 * mp.exp(-t / 4))],
        closed_form="20/(1 + 19 exp(-t/4))",
    ),
    "A5": dict(
        f=lambda t, y, m: [(y[0] - t) / (y[0] + t)],
        y0=["4"],
        closed=closed_a5,
        closed_form="polar (t, y) = 4 exp(pi/2 - phi) (cos phi, sin phi), phi from t by root finding",
    ),
    "B1": dict(f=lambda t, y, m: [2 * (y[0] - y[0] * y[1]), -(y[1] - y[0] * y[1])], y0=["1", "3"], params=[2, 1]),
    "B2": dict(
        f=linear_f([[-1, 1, 0], [1, -2, 1], [0, 1, -1]]),
        y0=["2", "0", "1"],
        closed=lambda t: [1 + mp.exp(-t) / 2 + mp.exp(-3 * t) / 2, 1 - mp.exp(-3 * t), 1 - mp.exp(-t) / 2 + mp.exp(-3 * t) / 2],
        closed_form="(1,1,1) + e^-t (1,0,-1)/2 + e^-3t (1,-2,1)/2",
        second=expm_check([[-1, 1, 0], [1, -2, 1], [0, 1, -1]]),
    ),
    "B3": dict(
        f=lambda t, y, m: [-y[0], y[0] - y[1] ** 2, y[1] ** 2],
        y0=["1", "0", "0"],
        closed=closed_b3,
        closed_form="y1 = e^-t; y2 = u'/u, u = K1(2) I0(s) + I1(2) K0(s), s = 2 e^(-t/2); y3 = 1 - y1 - y2",
    ),
    "B4": dict(
        f=lambda t, y, m: [
            -y[1] - y[0] * y[2] / m.sqrt(y[0] ** 2 + y[1] ** 2),
            y[0] - y[1] * y[2] / m.sqrt(y[0] ** 2 + y[1] ** 2),
            y[0] / m.sqrt(y[0] ** 2 + y[1] ** 2),
        ],
        y0=["3", "0", "0"],
        closed=lambda t: [(2 + mp.cos(t)) * mp.cos(t), (2 + mp.cos(t)) * mp.sin(t), mp.sin(t)],
        closed_form="((2 + cos t) cos t, (2 + cos t) sin t, sin t)",
    ),
    "B5": dict(
        f=lambda t, y, m: [y[1] * y[2], -y[0] * y[2], -num(m, "0.51") * y[0] * y[1]],
        y0=["0", "1", "1"],
        params=[0.51],
        closed=closed_b5,
        closed_form="Jacobi elliptic (sn, cn, dn)(t | m = 0.51)",
    ),
    "C1": dict(
        f=linear_f(chain("c1", 10)),
        y0=["1"] + ZEROS9,
        closed=lambda t: [t**i * mp.exp(-t) / mp.factorial(i) for i in range(9)] + [1 - mp.fsum(t**i * mp.exp(-t) / mp.factorial(i) for i in range(9))],
        closed_form="y_i = t^(i-1) e^-t/(i-1)! (i <= 9), y10 = 1 - sum",
        second=expm_check(chain("c1", 10)),
    ),
    "C2": dict(
        f=linear_f(chain("c2", 10)),
        y0=["1"] + ZEROS9,
        closed=closed_c2,
        closed_form="y_i = e^-t (1 - e^-t)^(i-1) (i <= 9), y10 = 1 - sum",
        second=expm_check(chain("c2", 10)),
    ),
    "C3": dict(
        f=linear_f(chain("tri", 10)),
        y0=["1"] + ZEROS9,
        closed=lambda t: closed_tri(t, 10),
        closed_form="eigen-expansion of tridiag(1, -2, 1), n = 10",
        second=expm_check(chain("tri", 10)),
    ),
    "C4": dict(
        f=linear_f(chain("tri", 51)),
        y0=["1"] + ["0"] * 50,
        closed=lambda t: closed_tri(t, 51),
        closed_form="eigen-expansion of tridiag(1, -2, 1), n = 51",
        second=expm_check(chain("tri", 51)),
    ),
    "C5": dict(f=f_c5, y0=C5_Y0),
    "E1": dict(
        f=lambda t, y, m: [y[1], -(y[1] / (t + 1) + (1 - num(m, "0.25") / (t + 1) ** 2) * y[0])],
        y0=["0.6713967071418030", "0.09540051444747446"],
        closed=closed_e1,
        closed_form="J_(1/2)(t+1) = sqrt(2/(pi x)) sin x and its derivative (y0 as published, rounded to 16 digits)",
    ),
    "E2": dict(f=lambda t, y, m: [y[1], (1 - y[0] ** 2) * y[1] - y[0]], y0=["2", "0"], params=[1]),
    "E3": dict(
        f=lambda t, y, m: [y[1], y[0] ** 3 / 6 - y[0] + 2 * m.sin(num(m, "2.78535") * t)],
        y0=["0", "0"],
        params=[1 / 6, 2, 2.78535],
    ),
    "E4": dict(
        f=lambda t, y, m: [y[1], num(m, "0.032") - num(m, "0.4") * y[1] ** 2],
        y0=["30", "0"],
        closed=closed_e4,
        closed_form="y' = sqrt(a/b) tanh(sqrt(ab) t), y = 30 + log cosh(sqrt(ab) t)/b, a = 0.032, b = 0.4",
    ),
    "E5": dict(
        f=lambda t, y, m: [y[1], m.sqrt(1 + y[1] ** 2) / (25 - t)],
        y0=["0", "0"],
        closed=closed_e5,
        closed_form="y' = (25/(25-t) - (25-t)/25)/2, y = (25 log(25/(25-t)) + ((25-t)^2 - 625)/50)/2",
    ),
}
for _i, _e in enumerate(["0.1", "0.3", "0.5", "0.7", "0.9"]):
    DETEST[f"D{_i + 1}"] = dict(
        f=orbit_f,
        y0=kepler_y0(_e),
        closed=(lambda e: lambda t: closed_kepler(t, mp.mpf(e)))(_e),
        closed_form=f"Kepler orbit, eccentricity {_e}: E - e sin E = t",
    )
ORDER = [f"{c}{i}" for c in "ABCDE" for i in range(1, 6)]


def write_json(path, doc):
    """Writes doc as JSON, formatted by the repository's Biome when installed (npm run lint checks it)."""
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    biome = os.path.join(ROOT, "node_modules", ".bin", "biome")
    if os.path.exists(biome):
        subprocess.run([biome, "format", "--write", path], cwd=ROOT, check=True, capture_output=True)


def rel_diff(a, b):
    """(normwise, componentwise) relative differences: max|a−b|/max|b|, max|a−b|/|b|."""
    a = np.asarray([float(v) for v in a])
    b = np.asarray([float(v) for v in b])
    d = np.abs(a - b)
    norm = float(d.max() / max(np.abs(b).max(), 1e-300))
    nz = np.abs(b) > 0
    comp = float((d[nz] / np.abs(b[nz])).max()) if nz.any() else 0.0
    return norm, comp


def mp_rel_diff(a, b):
    """max|a−b|/max|b| in high precision (both lists of mpf)."""
    with mpmath.workdps(HIGH_DPS):
        d = max(abs(x - y) for x, y in zip(a, b))
        return float(d / max(abs(y) for y in b))


def taylor(pid, dps, t1=T_END):
    spec = DETEST[pid]
    with mpmath.workdps(dps):
        y0 = [mp.mpf(s) for s in spec["y0"]]
        sol = mp.odefun(lambda t, y: spec["f"](t, y, mp), 0, y0)
        return [+v for v in sol(mp.mpf(t1))]


def detest():
    out = {}
    for pid in ORDER:
        spec = DETEST[pid]
        t0 = time.perf_counter()
        y0 = [float(s) for s in spec["y0"]]
        dim = len(y0)
        fnum = lambda t, y, spec=spec: np.asarray(spec["f"](t, list(y), math), dtype=float)
        dop = solve_ivp(fnum, (0, T_END), y0, method="DOP853", rtol=1e-13, atol=1e-13)
        assert dop.success, (pid, dop.message)
        with mpmath.workdps(HIGH_DPS):
            t_end = mp.mpf(T_END)
            if "closed" in spec:
                high = [+v for v in spec["closed"](t_end)]
                method = "closed form"
                if "second" in spec:
                    check = spec["second"](t_end, [mp.mpf(s) for s in spec["y0"]])
                    check_name = "matrix exponential (mpmath.expm, 32 digits)"
                else:
                    check = taylor(pid, CHECK_DPS) if dim <= 4 else None
                    check_name = f"mpmath.odefun Taylor series at {CHECK_DPS} digits"
            else:
                high = taylor(pid, HIGH_DPS)
                method = f"mpmath.odefun Taylor series at {HIGH_DPS} digits"
                check = taylor(pid, CHECK_DPS)
                check_name = f"mpmath.odefun Taylor series at {CHECK_DPS} digits"
        final = [float(v) for v in high]
        est = mp_rel_diff(check, high) if check is not None else None
        dn, dc = rel_diff(dop.y[:, -1], final)
        entry = {
            "t0": 0,
            "t1": T_END,
            "y0": y0,
            "params": spec.get("params", []),
            "f_y0": [float(v) for v in spec["f"](0.0, y0, math)],
            "final": final,
            "f_final": [float(v) for v in spec["f"](float(T_END), final, math)],
            "final_text": [mpmath.nstr(v, 25, min_fixed=1, max_fixed=0) for v in high],
            "method": method,
        }
        if "closed_form" in spec:
            entry["closed_form"] = spec["closed_form"]
        if check is not None:
            entry["check"] = check_name
            entry["est_rel_err"] = est
        else:
            # Closed form with no second computation cheap enough: DOP853 is the check.
            entry["check"] = "SciPy DOP853 at rtol = atol = 1e-13"
            entry["est_rel_err"] = dn
        entry["dop853"] = {
            "final": dop.y[:, -1].tolist(),
            "nfev": int(dop.nfev),
            "rel_diff_normwise": dn,
            "rel_diff_componentwise": dc,
        }
        out[pid] = entry
        print(
            f"{pid}: dim {dim:2d}  {method:42s}  check {entry['est_rel_err']:.1e}  "
            f"DOP853 1e-13: normwise {dn:.1e}, componentwise {dc:.1e}, nfev {dop.nfev}  ({time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
    doc = {
        "description": (
            "DETEST problems A1-E5 (Hull, Enright, Fellen, Sedgwick, SIAM J. Numer. Anal. 9(4):603-637, 1972; "
            "code of Enright & Pryce, ACM TOMS 13(1):1-27, 1987): the state at t1 = 20. 'final' is a high-precision "
            "value rounded to double: the closed form where there is one, evaluated with mpmath at 32 digits, "
            "otherwise mpmath.odefun (Taylor series) at 32 digits; 'est_rel_err' is its largest difference from "
            "an independent computation ('check'), relative to the largest component. 'dop853' is SciPy's "
            "solve_ivp DOP853 at rtol = atol = 1e-13 with its differences from 'final'. 'f_y0' and 'f_final' are "
            "f(t0, y0) and f(t1, final) (to cross-check definitions). Parameters ('params') as in test/support/problems.ts."
        ),
        "generator": "scripts/gen-detest-references.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "mpmath": mpmath.__version__,
        "problems": out,
    }
    write_json(DETEST_OUT, doc)
    print(f"wrote {os.path.relpath(DETEST_OUT, ROOT)}")


# ------------------------------------------------------------------------------------------
# Stiff problems (Test Set for IVP Solvers): right-hand sides and Jacobians as in rober.f,
# hires.f, vdpol.f, orego.f.


def rober_f(t, y):
    return np.array([-0.04 * y[0] + 1e4 * y[1] * y[2], 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] ** 2, 3e7 * y[1] ** 2])


def rober_j(t, y):
    return np.array([[-0.04, 1e4 * y[2], 1e4 * y[1]], [0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1]], [0.0, 6e7 * y[1], 0.0]])


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
    J[0, :3] = [-1.71, 0.43, 8.32]
    J[1, :2] = [1.71, -8.75]
    J[2, 2:5] = [-10.03, 0.43, 0.035]
    J[3, 1:4] = [8.32, 1.71, -1.12]
    J[4, 4:7] = [-1.745, 0.43, 0.43]
    J[5, 3:8] = [0.69, 1.71, -280.0 * y[7] - 0.43, 0.69, -280.0 * y[5]]
    J[6, 5:8] = [280.0 * y[7], -1.81, 280.0 * y[5]]
    J[7, 5:8] = [-280.0 * y[7], 1.81, -280.0 * y[5]]
    return J


def vdpol_f(t, y):
    return np.array([y[1], ((1 - y[0] ** 2) * y[1] - y[0]) / 1e-6])


def vdpol_j(t, y):
    return np.array([[0.0, 1.0], [(-2.0 * y[0] * y[1] - 1.0) / 1e-6, (1.0 - y[0] ** 2) / 1e-6]])


def orego_f(t, y):
    return np.array([
        77.27 * (y[1] + y[0] * (1 - 8.375e-6 * y[0] - y[1])),
        (y[2] - (1 + y[0]) * y[1]) / 77.27,
        0.161 * (y[0] - y[2]),
    ])


def orego_j(t, y):
    return np.array([
        [77.27 * (1 - 2 * 8.375e-6 * y[0] - y[1]), 77.27 * (1 - y[0]), 0.0],
        [-y[1] / 77.27, -(1 + y[0]) / 77.27, 1 / 77.27],
        [0.161, 0.0, -0.161],
    ])


STIFF = {
    # atol for the Radau cross-check: small enough that every component is controlled relatively.
    "ROBER": (rober_f, rober_j, 1e-24),
    "HIRES": (hires_f, hires_j, 1e-18),
    "VDPOL": (vdpol_f, vdpol_j, 1e-14),
    "OREGO": (orego_f, orego_j, 1e-14),
}


def stiff():
    with open(STIFF_FILE) as fh:
        doc = json.load(fh)
    for pid, (f, jac, atol) in STIFF.items():
        entry = doc["problems"][pid]
        published = [float(s) for s in entry["final_published"]]
        assert published == entry["final"], f"{pid}: 'final' differs from 'final_published'"
        t0 = time.perf_counter()
        sol = solve_ivp(f, (entry["t0"], entry["t1"]), entry["y0"], method="Radau", rtol=1e-12, atol=atol, jac=jac)
        secs = time.perf_counter() - t0
        assert sol.success, (pid, sol.message)
        dn, dc = rel_diff(sol.y[:, -1], published)
        entry["f_y0"] = f(entry["t0"], np.asarray(entry["y0"], dtype=float)).tolist()
        entry["f_final"] = f(entry["t1"], np.asarray(published)).tolist()
        entry["scipy_radau_check"] = {
            "rtol": 1e-12,
            "atol": atol,
            "final": sol.y[:, -1].tolist(),
            "rel_diff_normwise": dn,
            "rel_diff_componentwise": dc,
            "nfev": int(sol.nfev),
            "njev": int(sol.njev),
            "scipy": scipy.__version__,
        }
        print(
            f"{pid}: SciPy Radau rtol 1e-12 atol {atol:g} vs published: normwise {dn:.2e}, componentwise {dc:.2e} "
            f"(nfev {sol.nfev}, njev {sol.njev}, {secs:.1f} s)",
            flush=True,
        )
    write_json(STIFF_FILE, doc)
    print(f"updated {os.path.relpath(STIFF_FILE, ROOT)} (scipy_radau_check, f_y0, f_final)")


if __name__ == "__main__":
    if "--skip-detest" not in sys.argv:
        detest()
    if "--skip-stiff" not in sys.argv:
        stiff()
