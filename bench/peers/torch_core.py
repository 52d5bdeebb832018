"""PyTorch peer for the foundation workloads (float64, one thread).

Prints one JSON object per line, the same records as `npm run bench` (DESIGN.md §5) with
impl "pytorch". Usage: python3 torch_core.py [ID ...]
"""
import json
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def time_calls(fn, warmup_s=1.0, samples=40):
    t0 = time.perf_counter()
    calls = 0
    while time.perf_counter() - t0 < warmup_s or calls < 3:
        fn()
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    inner = max(1, round(0.005 / max(per_call, 1e-9)))
    out = []
    for _ in range(samples):
        s = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - s) / inner * 1000.0)  # ms per call
    return out


def emit(workload, metric, values, params):
    print(json.dumps({
        "workload": workload, "impl": "pytorch", "metric": metric,
        "median": statistics.median(values), "min": min(values), "max": max(values),
        "n": len(values), "params": {**params, "torch": torch.__version__, "threads": torch.get_num_threads()},
    }), flush=True)


def bench_matmul(workload, m, k, n):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=g)
    b = torch.randn(k, n, generator=g)
    times = time_calls(lambda: torch.matmul(a, b))
    flops = 2.0 * m * n * k
    gflops = [flops / (t * 1e-3) / 1e9 for t in times]
    emit(workload, "gflops", gflops, {"m": m, "k": k, "n": n})


def bench_mlp():
    g = torch.Generator().manual_seed(1)
    widths = [2, 64, 64, 2]
    params = []
    for i in range(len(widths) - 1):
        w = (torch.randn(widths[i + 1], widths[i], generator=g) * (1.0 / widths[i]) ** 0.5).requires_grad_()
        b = (torch.randn(widths[i + 1], generator=g) * 0.1).requires_grad_()
        params.append((w, b))
    x = torch.randn(25, 2, generator=g)
    flat = [p for layer in params for p in layer]

    def step():
        h = x
        for i, (w, b) in enumerate(params):
            h = torch.nn.functional.linear(h, w, b)
            if i < len(params) - 1:
                h = torch.tanh(h)
        loss = h.sum()
        return torch.autograd.grad(loss, flat)

    times = time_calls(step)
    emit("mlp_fwd_bwd", "us_per_call", [t * 1000.0 for t in times],
         {"widths": widths, "activation": "tanh", "batch": 25})


WORKLOADS = {
    "matmul_64": lambda: bench_matmul("matmul_64", 64, 64, 64),
    "matmul_256": lambda: bench_matmul("matmul_256", 256, 256, 256),
    "matmul_25x64x64": lambda: bench_matmul("matmul_25x64x64", 25, 64, 64),
    "mlp_fwd_bwd": bench_mlp,
}

if __name__ == "__main__":
    ids = sys.argv[1:] or list(WORKLOADS)
    for wid in ids:
        if wid in WORKLOADS:
            WORKLOADS[wid]()
