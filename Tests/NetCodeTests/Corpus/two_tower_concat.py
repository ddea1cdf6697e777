import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    # Two towers with different receptive fields, fused by channel concatenation,
    # then a small MLP head with a softmax output.
    def __init__(self):
        super(Net, self).__init__()
        self.tower_a = nn.Sequential(nn.Conv2d(1, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.tower_b = nn.Sequential(nn.Conv2d(1, 12, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.fuse = nn.Conv2d(24, 32, 1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        a = self.tower_a(x)
        b = self.tower_b(x)
        x = torch.cat((a, b), 1)
        x = self.pool(F.relu(self.fuse(x)))
        x = x.view(-1, 32 * 7 * 7)
        x = F.relu(self.fc1(x))
        return self.softmax(self.fc2(x))
