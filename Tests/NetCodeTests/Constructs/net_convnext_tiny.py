import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        shortcut = x
        x = self.dwconv(x)
        x = x.permute(0, 2, 3, 1)
        x = self.norm(x)
        x = self.pwconv2(self.act(self.pwconv1(x)))
        x = x.permute(0, 3, 1, 2)
        return shortcut + x


class Net(nn.Module):
    def __init__(self, num_classes=10, dims=(16, 32)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, dims[0], kernel_size=4, stride=4), nn.GroupNorm(1, dims[0]))
        self.stage1 = nn.Sequential(*[Block(dims[0]) for _ in range(2)])
        self.down = nn.Conv2d(dims[0], dims[1], kernel_size=2, stride=2)
        self.stage2 = nn.Sequential(*[Block(dims[1]) for _ in range(2)])
        self.head = nn.Linear(dims[1], num_classes)

    def forward(self, x):
        x = self.stage1(self.stem(x))
        x = self.stage2(self.down(x))
        x = x.mean([-2, -1])
        return self.head(x)
