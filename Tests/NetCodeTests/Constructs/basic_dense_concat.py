import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.c2 = nn.Conv2d(5, 4, 3, padding=1)
        self.fc = nn.Linear(9, 10)

    def forward(self, x):
        x = torch.cat([x, F.relu(self.c1(x))], 1)
        x = torch.cat([x, F.relu(self.c2(x))], 1)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)
