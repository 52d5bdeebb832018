"""PyTorch peer for w2_mech_fit_step: the same fit iteration with backprop through RK4 steps.

Damped pendulum, unknown log w0 and log alpha, 25 trajectories, 40 outputs at dt = 0.05,
RK4 with step 0.05, MSE, one Adam step (lr 1e-2). float64, one thread.
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
    if len(sys.argv) < 2 or "w2_mech_fit_step" in sys.argv[1:]:
        main()
