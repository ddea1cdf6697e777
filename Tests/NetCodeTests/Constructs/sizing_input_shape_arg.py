import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2))
        input_shape = (1, 28, 28)
        with torch.no_grad():
            n = self.features(torch.zeros(1, *input_shape)).numel()
        self.fc = nn.Linear(n, 10)

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)
        return self.fc(x)
