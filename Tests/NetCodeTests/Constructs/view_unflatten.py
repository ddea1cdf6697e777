import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 392)
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.fc1(x.flatten(1))
        x = x.view(-1, 8, 7, 7)
        x = self.conv(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)
