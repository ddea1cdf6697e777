"""Training images/s of smallcnn and resnet8 in tinygrad on its OpenCL backend (PoCL here), for the
OpenCL step comparison of Perf/README.md. Optional: nothing in CI runs it.

    python3 -m venv /tmp/tgvenv && /tmp/tgvenv/bin/pip install tinygrad==0.14.0
    DEV=CL /tmp/tgvenv/bin/python scripts/tinygrad_rate.py NET BATCH [SECONDS] [CxHxW]

Same networks as ../shared/peers/torch_rate.py (NET: smallcnn | resnet8), SGD momentum 0.9, lr 0.01,
cross-entropy, one fixed random batch; the step is a TinyJit function (tinygrad's intended fast path).
Prints one JSON line."""
import json, sys, time

import tinygrad
from tinygrad import Tensor, TinyJit, Device, nn
from tinygrad.helpers import Context

PINNED = "0.14.0"


class SmallCNN:
    def __init__(self, c, h, w):
        self.conv1 = nn.Conv2d(c, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, 10)

    def __call__(self, x):
        x = self.conv1(x).relu().max_pool2d(2)
        x = self.conv2(x).relu().max_pool2d(2)
        return self.fc2(self.fc1(x.flatten(1)).relu())


class Block:
    def __init__(self, cin, cout, stride):
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = (nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm(cout))

    def __call__(self, x):
        y = self.bn1(self.conv1(x)).relu()
        y = self.bn2(self.conv2(y))
        s = x if self.short is None else self.short[1](self.short[0](x))
        return (y + s).relu()


class ResNet8:
    def __init__(self, c, h, w):
        self.conv0 = nn.Conv2d(c, 16, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm(16)
        self.blocks = [Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2)]
        self.fc = nn.Linear(64, 10)

    def __call__(self, x):
        x = self.bn0(self.conv0(x)).relu()
        for b in self.blocks:
            x = b(x)
        return self.fc(x.mean((2, 3)))


def rate(name, batch, seconds, shape):
    net = {"smallcnn": SmallCNN, "resnet8": ResNet8}[name](*shape)
    params = nn.state.get_parameters(net)
    opt = nn.optim.SGD(params, lr=0.01, momentum=0.9)
    x = Tensor.randn(batch, *shape).realize()
    y = Tensor.randint(batch, low=0, high=10).realize()

    @TinyJit
    def step():
        with Context(TRAINING=1):
            opt.zero_grad()
            loss = net(x).sparse_categorical_crossentropy(y).backward()
            opt.step()
            return loss.realize()

    for _ in range(5):
        step()
    Device[Device.DEFAULT].synchronize()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 3:
        step().item() if n % 4 == 3 else step()
        n += 1
    Device[Device.DEFAULT].synchronize()
    dt = time.perf_counter() - t0
    return {"net": name, "batch": batch, "shape": list(shape), "images_per_second": n * batch / dt, "steps": n,
            "device": Device.DEFAULT, "tinygrad": getattr(tinygrad, "__version__", PINNED)}


if __name__ == "__main__":
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    shape = tuple(int(v) for v in sys.argv[4].split("x")) if len(sys.argv) > 4 else (3, 32, 32)
    print(json.dumps(rate(sys.argv[1], int(sys.argv[2]), secs, shape)))
