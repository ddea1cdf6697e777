import torch
from torch import nn


class Net(nn.Module):
    """Two conv stages, then a reshape written the way many tutorials do."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2)
        self.act = nn.ReLU()
        self.fc = nn.Linear(32 * 12 * 12, 10)

    def forward(self, x):
        x = self.act(self.conv1(x))
        x = self.act(self.conv2(x))
        batch_size = x.shape[0]
        x = x.contiguous().view(batch_size, 32, 12, 12)
        x = x.reshape(x.shape[0], -1)
        return self.fc(x)
