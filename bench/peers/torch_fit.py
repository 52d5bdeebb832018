"""PyTorch peers for the fit-step workloads: the same iterations with backprop through RK4 steps.

w2_mech_fit_step: damped pendulum, unknown log w0 and log alpha, 25 trajectories, 40 outputs
at dt = 0.05, RK4 with step 0.05, MSE, one Adam step (lr 1e-2).
w1_hybrid_fit_step: frictionless pendulum with learnable log w0 plus an MLP closure
2 -> 64 -> 64 -> 2 (tanh) on the state; data from a damped pendulum (period 1.2, damping 0.2);
loss MSE + 1e-3 * sum of squared net weights; one Adam step (lr 1e-3).
float64, one thread. Usage: python3 torch_fit.py [ID ...]
"""
import math
import sys

import torch

from torch_core import emit, time_calls

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

N, T, DT = 25, 40, 0.05


def field(y, w0, alpha):
    theta, omega = y[:, 0], y[:, 1]
    return torch.stack([omega, -w0 * w0 * torch.sin(theta) - alpha * omega], dim=1)


def rk4(y, w0, alpha):
    out = []
    for _ in range(T):
        k1 = field(y, w0, alpha)
        k2 = field(y + 0.5 * DT * k1, w0, alpha)
        k3 = field(y + 0.5 * DT * k2, w0, alpha)
        k4 = field(y + DT * k3, w0, alpha)
        y = y + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(y)
    return torch.stack(out, dim=1)


def rk4_field(f, y):
    out = []
    for _ in range(T):
        k1 = f(y)
        k2 = f(y + 0.5 * DT * k1)
        k3 = f(y + 0.5 * DT * k2)
        k4 = f(y + DT * k3)
        y = y + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(y)
    return torch.stack(out, dim=1)


def bench_w1():
    g = torch.Generator().manual_seed(7)
    y0 = torch.rand(N, 2, generator=g) * 2 - 1
    with torch.no_grad():
        data = rk4(y0, torch.tensor(2 * math.pi / 1.2), torch.tensor(0.2))
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 64), torch.nn.Tanh(),
        torch.nn.Linear(64, 64), torch.nn.Tanh(),
        torch.nn.Linear(64, 2),
    )
    log_w0 = torch.tensor(math.log(4.0), requires_grad=True)
    weights = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
    opt = torch.optim.Adam([log_w0, *net.parameters()], lr=1e-3)

    def field(y):
        w0 = torch.exp(log_w0)
        mech = torch.stack([y[:, 1], -w0 * w0 * torch.sin(y[:, 0])], dim=1)
        return mech + net(y)

    def step():
        opt.zero_grad()
        pred = rk4_field(field, y0)
        loss = torch.mean((pred - data) ** 2) + 1e-3 * sum((w * w).sum() for w in weights)
        loss.backward()
        opt.step()

    times = time_calls(step)
    emit("w1_hybrid_fit_step", "ms_per_iter", times,
         {"trajectories": N, "outputs": T, "dt": DT, "method": "rk4", "hidden": [64, 64],
          "gradient": "backprop"})


def main():
    g = torch.Generator().manual_seed(7)
    y0 = torch.rand(N, 2, generator=g) * 2 - 1
    with torch.no_grad():
        data = rk4(y0, torch.tensor(2 * math.pi / 1.2), torch.tensor(0.2))
    theta = torch.tensor([math.log(4.0), math.log(0.5)], requires_grad=True)
    opt = torch.optim.Adam([theta], lr=1e-2)

    def step():
        opt.zero_grad()
        pred = rk4(y0, torch.exp(theta[0]), torch.exp(theta[1]))
        loss = torch.mean((pred - data) ** 2)
        loss.backward()
        opt.step()

    times = time_calls(step)
    emit("w2_mech_fit_step", "ms_per_iter", times,
         {"trajectories": N, "outputs": T, "dt": DT, "method": "rk4", "gradient": "backprop"})


if __name__ == "__main__":
    ids = sys.argv[1:]
    if not ids or "w2_mech_fit_step" in ids:
        main()
    if not ids or "w1_hybrid_fit_step" in ids:
        bench_w1()
