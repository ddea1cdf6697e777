import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        layers = []
        c = 1
        while c < 16:
            layers.append(nn.Conv2d(max(c, 1), c * 2, 3, padding=1))
            c *= 2
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.convs(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)
