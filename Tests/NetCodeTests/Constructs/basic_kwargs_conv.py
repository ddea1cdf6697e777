import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(in_channels=1, out_channels=8, kernel_size=3, stride=1, padding=1)
        self.fc = nn.Linear(in_features=8, out_features=10)

    def forward(self, x):
        x = self.conv(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)
