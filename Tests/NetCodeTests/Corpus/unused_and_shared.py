import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    """One conv applied twice (shared weights), one ReLU module reused, and
    layers defined but never used in forward (PyTorch still counts them)."""

    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(3, 16, 3, padding=1)
        self.conv_shared = nn.Conv2d(16, 16, 3, padding=1)
        self.relu = nn.ReLU()
        self.bn_unused = nn.BatchNorm2d(16)
        self.fc_unused = nn.Linear(100, 50)
        self.spare = nn.Sequential(nn.Conv2d(16, 4, 1), nn.ReLU())
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        x = self.relu(self.conv_in(x))
        x = F.max_pool2d(x, 2)
        x = self.relu(self.conv_shared(x))
        x = self.relu(self.conv_shared(x))
        x = F.max_pool2d(x, 2)
        x = x.view(x.size(0), -1)
        return self.fc(x)
