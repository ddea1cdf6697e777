"""Training images/s of llmatic's built-in networks in PyTorch on a CUDA GPU: the side-by-side reference for
`llmatic train --device opencl` on the same GPU (scripts/gpu/bench runs both).

Usage: python3 torch_cuda_rate.py NET BATCH [SECONDS] [CxHxW]     NET: initial | smallcnn | resnet8
       python3 torch_cuda_rate.py gemm M N K                      (cuBLAS SGEMM, TF32 off)
Prints one JSON line: {"net", "batch", "images_per_second", "steps", "device", "torch"}
or {"gemm": "MxNxK", "gflops", "device", "torch"}.

The networks mirror Sources/NetIR/BuiltinNetworks.swift layer for layer (PyTorch default initialisation,
float32, eager mode, no torch.compile, no AMP: the same arithmetic our OpenCL kernels do). A step is
forward, cross-entropy, backward and SGD with momentum 0.9 on one resident batch, as in our timing, so
neither side pays for data loading. Timing: warm-up steps, then steps until SECONDS have passed, with
torch.cuda.synchronize() before reading the clock at both ends.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def initial(c, h, w):
    return nn.Sequential(nn.Conv2d(c, 1, 1), nn.ReLU(), nn.Flatten(), nn.Linear(h * w, 10))


def smallcnn(c, h, w):
    return nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), 128), nn.ReLU(), nn.Linear(128, 10))


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.projection = None
        if stride != 1 or cin != cout:
            self.projection = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.projection is None else self.projection(x)))


def resnet8(c, h, w):
    return nn.Sequential(
        nn.Conv2d(c, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        ResidualBlock(16, 16, 1), ResidualBlock(16, 32, 2), ResidualBlock(32, 64, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def measure(name, batch, seconds, shape):
    device = torch.device("cuda")
    # cuDNN picks its fastest convolution algorithms for these shapes, as a tuned PyTorch script would.
    torch.backends.cudnn.benchmark = True
    net = {"initial": initial, "smallcnn": smallcnn, "resnet8": resnet8}[name](*shape).to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, *shape, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()

    for _ in range(20):
        step()
    torch.cuda.synchronize()
    steps = 0
    start = time.perf_counter()
    while True:
        for _ in range(10):
            step()
        steps += 10
        torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    return {"net": name, "batch": batch, "images_per_second": steps * batch / elapsed, "steps": steps,
            "device": torch.cuda.get_device_name(0), "torch": torch.__version__}


def gemm(m, n, k):
    """C = A B in float32 through cuBLAS with TF32 off (our kernel computes in full float32 too)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    a = torch.randn(m, k, device="cuda")
    b = torch.randn(k, n, device="cuda")
    for _ in range(5):
        torch.mm(a, b)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(10):
            torch.mm(a, b)
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - start) / 10)
    return {"gemm": f"{m}x{n}x{k}", "gflops": 2.0 * m * n * k / best / 1e9,
            "device": torch.cuda.get_device_name(0), "torch": torch.__version__}


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    if sys.argv[1] == "gemm":
        print(json.dumps(gemm(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
        sys.exit(0)
    shape = (1, 28, 28)
    if len(sys.argv) > 4:
        shape = tuple(int(v) for v in sys.argv[4].split("x"))
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 3.0, shape)))
