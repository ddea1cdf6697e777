import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, in_channels=3, width=24, depth=4, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, width, 3, padding=1)
        self.convs = nn.ModuleList([nn.Conv2d(width, width, 3, padding=1) for _ in range(depth)])
        self.norms = nn.ModuleList()
        for i in range(depth):
            self.norms.append(nn.BatchNorm2d(width))
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for conv, norm in zip(self.convs, self.norms):
            x = F.relu(norm(conv(x)))
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.head(x)
