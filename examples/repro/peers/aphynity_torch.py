"""APHYNITY's training rule in PyTorch, as an independent check of greybox's R1 runs.

Written from the algorithm as the paper and its code describe it (Yin et al., ICLR 2021,
Algorithm 1): the frictionless pendulum dθ/dt = ω, dω/dt = -ω0²·sin θ plus an MLP closure F_a
on both components; per epoch N_iter Adam steps on the full batch minimizing
λ·L_traj + mean((‖F_a(X)‖ / (‖X‖ + 1e-5))²) (X = the observed training states), then
λ ← λ + τ2·L_traj (L_traj of the epoch's last step, before its update); the checkpoint with the
lowest validation MSE is kept. Classical RK4 with a fixed step, backpropagation through the
steps, float64, one thread.

Reads one JSON job on stdin (written by examples/repro/r1-torch.ts):
  {"seed" (for the progress lines), "width", "lr", "epochs", "n_iter", "tau2", "lambda0", "substeps", "dt",
   "init": {"w0sq", "layers": [{"w": [[...]], "b": [...]}, ...]},
   "train" | "val" | "test": {"y0": [[θ, ω], ...], "obs": [[[θ, ω] per time] per trajectory]}}
Prints progress lines on stderr and one JSON object on stdout:
  {"history": [{"epoch", "lambda", "w0", "fit", "val"}], "best_epoch", "lambda", "w0",
   "train_log10_mse", "test_log10_mse", "seconds"}
with the history at the first epoch and every tenth of the run (fit = the mean L_traj of the
epoch's steps, as greybox's epoch records give it).
"""
import json
import math
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


class Closure(torch.nn.Module):
    """MLP 2 → width → width → 2 with ReLU, started from the given weights."""

    def __init__(self, layers):
        super().__init__()
        self.linears = torch.nn.ModuleList()
        for layer in layers:
            w = torch.tensor(layer["w"])
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(w)
                lin.bias.copy_(torch.tensor(layer["b"]))
            self.linears.append(lin)

    def forward(self, x):
        for i, lin in enumerate(self.linears):
            x = lin(x)
            if i < len(self.linears) - 1:
                x = torch.relu(x)
        return x


def solve(field, y0, n_times, dt, substeps):
    """Classical RK4 with step dt/substeps; the states at the n_times save times (t = 0 first)."""
    h = dt / substeps
    y = y0
    out = [y]
    for _ in range(n_times - 1):
        for _ in range(substeps):
            k1 = field(y)
            k2 = field(y + 0.5 * h * k1)
            k3 = field(y + 0.5 * h * k2)
            k4 = field(y + h * k3)
            y = y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(y)
    return torch.stack(out, dim=1)


def main():
    job = json.load(sys.stdin)
    started = time.time()
    w0sq = torch.nn.Parameter(torch.tensor(float(job["init"]["w0sq"])))
    closure = Closure(job["init"]["layers"])

    def field(y):
        theta, omega = y[:, 0], y[:, 1]
        physics = torch.stack([omega, -w0sq * torch.sin(theta)], dim=1)
        return physics + closure(y)

    split = {k: (torch.tensor(job[k]["y0"]), torch.tensor(job[k]["obs"])) for k in ("train", "val", "test")}
    n_times = split["train"][1].shape[1]
    dt, substeps = job["dt"], job["substeps"]

    def mse(name):
        y0, obs = split[name]
        with torch.no_grad():
            return torch.mean((solve(field, y0, n_times, dt, substeps) - obs) ** 2).item()

    y0, obs = split["train"]
    x = obs.reshape(-1, 2)
    opt = torch.optim.Adam([w0sq, *closure.parameters()], lr=job["lr"], betas=(0.9, 0.999), eps=1e-8)
    lam = float(job["lambda0"])
    epochs = int(job["epochs"])
    every = max(1, epochs // 10)
    history = []
    best = (math.inf, 0, None)
    for epoch in range(1, epochs + 1):
        fit_sum = 0.0
        for _ in range(int(job["n_iter"])):
            opt.zero_grad()
            traj = torch.mean((solve(field, y0, n_times, dt, substeps) - obs) ** 2)
            norm = torch.mean(torch.sum(closure(x) ** 2, dim=1) / (torch.sqrt(torch.sum(x**2, dim=1)) + 1e-5) ** 2)
            (lam * traj + norm).backward()
            opt.step()
            with torch.no_grad():
                w0sq.clamp_(min=0.0)  # the bound ω0² ≥ 0, as greybox's `in [0, inf]`
            fit = traj.item()
            fit_sum += fit
        lam += job["tau2"] * fit  # L_traj of the last step, before its update
        val = mse("val")
        if val < best[0]:
            state = {k: v.detach().clone() for k, v in closure.state_dict().items()}
            best = (val, epoch, (w0sq.detach().clone(), state))
        if epoch % every == 0 or epoch == 1:
            fit_mean = fit_sum / int(job["n_iter"])
            row = {"epoch": epoch, "lambda": lam, "w0": math.sqrt(w0sq.item()), "fit": fit_mean, "val": val}
            history.append(row)
            print(
                f"  torch seed {job['seed']} epoch {epoch}/{epochs}: fit {fit_mean:.3e}, val {val:.3e}, λ {lam:.2f}, "
                f"ω0 {row['w0']:.4f} ({time.time() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    with torch.no_grad():
        w0sq.copy_(best[2][0])
    closure.load_state_dict(best[2][1])
    print(
        json.dumps(
            {
                "history": history,
                "best_epoch": best[1],
                "lambda": lam,
                "w0": math.sqrt(w0sq.item()),
                "train_log10_mse": math.log10(mse("train")),
                "test_log10_mse": math.log10(mse("test")),
                "seconds": time.time() - started,
            }
        )
    )


if __name__ == "__main__":
    main()
