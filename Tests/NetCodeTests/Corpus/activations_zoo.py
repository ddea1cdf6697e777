import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1)
        self.c3 = nn.Conv2d(8, 16, 3, padding=1)
        self.c4 = nn.Conv2d(16, 16, 3, padding=1)
        self.lrelu = nn.LeakyReLU(0.2)
        self.gelu = nn.GELU()
        self.silu = nn.SiLU()
        self.elu = nn.ELU(alpha=0.5)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.adapt = nn.AdaptiveAvgPool2d((2, 3))
        self.fc1 = nn.Linear(16 * 2 * 3, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 10)
        self.tanh = nn.Tanh()
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x = self.lrelu(self.c1(x))
        x = F.leaky_relu(x, negative_slope=0.1)
        x = self.gelu(self.c2(x))
        x = F.gelu(x)
        x = self.pool(self.silu(self.c3(x)))
        x = F.silu(x)
        x = self.elu(self.c4(x))
        x = F.elu(x, alpha=2.0)
        x = self.adapt(x)
        x = x.flatten(1)
        x = torch.tanh(self.tanh(self.fc1(x)))
        x = torch.sigmoid(self.sigmoid(self.fc2(x)))
        x = self.fc3(x).relu()
        return x
