import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2))
        n = self._flat_size()
        self.fc = nn.Linear(n, 10)

    def _flat_size(self):
        with torch.no_grad():
            x = torch.zeros(1, 1, 28, 28)
            return self.features(x).numel()

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)
        return self.fc(x)
