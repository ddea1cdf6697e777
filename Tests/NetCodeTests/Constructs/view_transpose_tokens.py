import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(4)
        self.proj = nn.Linear(8, 16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(self.conv(x))
        x = x.flatten(2).transpose(1, 2)
        x = self.proj(x)
        x = x.mean(dim=1)
        return self.fc(x)
