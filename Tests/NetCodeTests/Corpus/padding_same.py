import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(3, 16, kernel_size=5, padding='same')
        self.conv_b = nn.Conv2d(16, 16, kernel_size=(3, 5), padding="same", bias=False)
        self.conv_c = nn.Conv2d(16, 32, 3, padding='same', dilation=2)
        self.conv_d = nn.Conv2d(32, 32, 3, stride=2, padding='valid')
        self.relu = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.relu(self.conv_a(x))
        x = self.relu(self.conv_b(x))
        x = self.relu(self.conv_c(x))
        x = self.relu(self.conv_d(x))
        x = self.gap(x).flatten(1)
        return self.fc(x)
