"""PyTorch peer for `rhs_vjp_pendulum` and `rhs_vjp_uva` (float64, one thread).

One evaluation = the batched right-hand side written with torch ops (per-state expressions
stacked into [B, D], as a PyTorch user writes a batched vector field), then
torch.autograd.grad(f, (y, p), grad_outputs=ob) with y [B, D] and p [B, P] leaf tensors.
Metric `evals_per_s` = batch / seconds per evaluation, as bench/workloads/rhs.ts.

The inputs (states, per-trajectory parameters, inputs, covariates, cotangent) are exactly
greybox's: they come from bench/peers/rhs_inputs.ts, together with greybox's results. Before
timing, this script checks that its rhs, yBar and pBar agree with greybox's: normwise (largest
difference over the array's largest value) to 1e-12, and entry by entry to 1e-6 (looser because
some entries are ill-conditioned: d/dd of the gastric-emptying tanh at a saturated tanh is
1 − tanh², computed by both as 1 − t·t, which loses digits). It exits with status 1 when they
disagree, and reports the worst differences in the record's params (`check_normwise`,
`check_elementwise`).

Prints one JSON object per line (DESIGN.md §5) with impl "pytorch".
Usage: python3 torch_rhs.py [ID ...]
"""
import json
import os
import subprocess
import sys

import torch

from torch_core import emit, time_calls

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BATCHES = [1, 64]
NORMWISE_TOLERANCE = 1e-12
ELEMENTWISE_TOLERANCE = 1e-6


def pendulum_rhs(y, p, u, c, names):
    """theta' = omega, omega' = -w0^2 sin(theta) - alpha omega."""
    s = dict(zip(names["states"], y.unbind(1)))
    q = dict(zip(names["params"], p.unbind(1)))
    theta, omega = s["theta"], s["omega"]
    return torch.stack([omega, -q["w0"] ** 2 * torch.sin(theta) - q["alpha"] * omega], dim=1)


def uva_rhs(y, p, u, c, names):
    """UVA/Padova 2008 as in REPRODUCTIONS.md R6 (simglucose's form, clamps included)."""
    s = dict(zip(names["states"], y.unbind(1)))
    q = dict(zip(names["params"], p.unbind(1)))
    x = dict(zip(names["inputs"], u.unbind(1)))
    BW = c[:, names["covariates"].index("BW")]
    Qsto1, Qsto2, Qgut = s["Qsto1"], s["Qsto2"], s["Qgut"]
    Gp, Gt, Ip, X, I1, Id = s["Gp"], s["Gt"], s["Ip"], s["X"], s["I1"], s["Id"]
    Il, Isc1, Isc2, Gs = s["Il"], s["Isc1"], s["Isc2"], s["Gs"]
    CHO, insulin, Dbar = x["CHO"], x["insulin"], x["Dbar"]
    kmax, kmin, kabs, b, d = q["kmax"], q["kmin"], q["kabs"], q["b"], q["d"]
    zero = torch.zeros_like(Gp)

    # Gastric emptying; kgut = kmax before the first meal (Dbar = 0).
    meal = Dbar > 0
    Qsto = Qsto1 + Qsto2
    Dpos = torch.where(meal, Dbar, torch.ones_like(Dbar))
    alpha = 5 / (2 * Dpos * (1 - b))
    beta = 5 / (2 * Dpos * d)
    kgut = torch.where(
        meal,
        kmin + (kmax - kmin) / 2 * (torch.tanh(alpha * (Qsto - b * Dbar)) - torch.tanh(beta * (Qsto - d * Dbar)) + 2),
        kmax,
    )
    Ra = q["f"] * kabs * Qgut / BW
    EGP = q["kp1"] - q["kp2"] * Gp - q["kp3"] * Id
    E = torch.where(Gp > q["ke2"], q["ke1"] * (Gp - q["ke2"]), zero)
    Uid = (q["Vm0"] + q["Vmx"] * X) * Gt / (q["Km0"] + Gt)
    I = Ip / q["Vi"]
    k1, k2, ki, m1, m2, ka1, ka2, kd, ksc = (q[n] for n in ("k1", "k2", "ki", "m1", "m2", "ka1", "ka2", "kd", "ksc"))

    def clamp(state, rate):
        return torch.where(state >= 0, rate, zero)

    return torch.stack([
        -kmax * Qsto1 + CHO,
        kmax * Qsto1 - kgut * Qsto2,
        kgut * Qsto2 - kabs * Qgut,
        clamp(Gp, torch.clamp(EGP, min=0) + Ra - q["Fsnc"] - E - k1 * Gp + k2 * Gt),
        clamp(Gt, -Uid + k1 * Gp - k2 * Gt),
        clamp(Ip, -(m2 + q["m4"]) * Ip + m1 * Il + ka1 * Isc1 + ka2 * Isc2),
        -q["p2u"] * X + q["p2u"] * (I - q["Ib"]),
        -ki * (I1 - I),
        -ki * (Id - I1),
        clamp(Il, -(m1 + q["m30"]) * Il + m2 * Ip),
        clamp(Isc1, insulin - (ka1 + kd) * Isc1),
        clamp(Isc2, kd * Isc1 - ka2 * Isc2),
        clamp(Gs, -ksc * Gs + ksc * Gp),
    ], dim=1)


RHS = {"rhs_vjp_pendulum": pendulum_rhs, "rhs_vjp_uva": uva_rhs}


def greybox_inputs(workload):
    """The workload's inputs and greybox's results, from bench/peers/rhs_inputs.ts."""
    tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
    script = os.path.join(ROOT, "bench", "peers", "rhs_inputs.ts")
    out = subprocess.run([tsx, script, workload, *map(str, BATCHES)], cwd=ROOT, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)["cases"]


def tensor2d(values, B, width):
    """A [B, width] tensor from a flat row-major list."""
    return torch.tensor(values).reshape(B, width)


def differences(mine, theirs):
    """(normwise, elementwise) relative differences: max |a - b| / max |b|, max |a - b| / |b|."""
    diff = (mine - theirs).abs()
    scale = theirs.abs().max().item()
    normwise = diff.max().item() / scale if scale > 0 else diff.max().item()
    elementwise = (diff / theirs.abs().clamp(min=1e-300)).max().item()
    return normwise, elementwise


def bench(workload):
    rhs = RHS[workload]
    for case in greybox_inputs(workload):
        B = case["batch"]
        D, P = len(case["states"]), len(case["params"])
        y = tensor2d(case["y"], B, D).requires_grad_()
        p = tensor2d(case["p"], B, P).requires_grad_()
        u = tensor2d(case["u"], B, len(case["inputs"]))
        c = tensor2d(case["c"], B, len(case["covariates"]))
        ob = tensor2d(case["outBar"], B, D)

        def step():
            f = rhs(y, p, u, c, case)
            yb, pb = torch.autograd.grad(f, (y, p), grad_outputs=ob)
            return f, yb, pb

        f, yb, pb = step()
        ref = case["greybox"]
        diffs = {
            "rhs": differences(f.detach(), tensor2d(ref["rhs"], B, D)),
            "yBar": differences(yb, tensor2d(ref["yBar"], B, D)),
            "pBar": differences(pb, tensor2d(ref["pBar"], B, P)),
        }
        normwise = max(n for n, _ in diffs.values())
        elementwise = max(e for _, e in diffs.values())
        if not (normwise <= NORMWISE_TOLERANCE and elementwise <= ELEMENTWISE_TOLERANCE):
            print(f"torch_rhs: {workload} batch {B}: PyTorch and greybox disagree; relative differences "
                  "(normwise, elementwise): " + ", ".join(f"{k} {n:.1e} {e:.1e}" for k, (n, e) in diffs.items()),
                  file=sys.stderr)
            sys.exit(1)

        times = time_calls(step)
        emit(workload, "evals_per_s", [B / (t * 1e-3) for t in times],
             {"batch": B, "states": D, "params": P, "check_normwise": normwise, "check_elementwise": elementwise})


if __name__ == "__main__":
    ids = sys.argv[1:] or list(RHS)
    for wid in ids:
        if wid in RHS:
            bench(wid)
