import torch
import torch.nn as nn
import torch.nn.functional as F


class Inception(nn.Module):
    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        super().__init__()
        self.branch1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, c3_reduce, kernel_size=1),
            nn.ReLU(True),
            nn.Conv2d(c3_reduce, c3, kernel_size=3, padding=1),
        )
        self.branch5 = nn.Sequential(
            nn.Conv2d(in_channels, c5_reduce, kernel_size=1),
            nn.ReLU(True),
            nn.Conv2d(c5_reduce, c5, kernel_size=5, padding=2),
        )
        self.branch_pool = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x):
        b1 = F.relu(self.branch1(x))
        b3 = F.relu(self.branch3(x))
        b5 = F.relu(self.branch5(x))
        bp = F.relu(self.branch_pool(x))
        return torch.cat([b1, b3, b5, bp], dim=1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.pre = nn.Conv2d(3, 32, 3, padding=1)
        self.inc1 = Inception(32, 16, 16, 24, 4, 8, 8)
        self.inc2 = Inception(56, 32, 24, 48, 8, 16, 16)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(112 * 8 * 8, 10)

    def forward(self, x):
        x = F.relu(self.pre(x))
        x = self.pool(self.inc1(x))
        x = self.pool(self.inc2(x))
        x = torch.flatten(x, start_dim=1)
        return self.fc(x)
