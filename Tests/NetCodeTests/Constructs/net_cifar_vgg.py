# input: 3x32x32
import torch
import torch.nn as nn
import torch.nn.functional as F


cfg = [32, 'M', 64, 'M', 128, 128, 'M']


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        layers = []
        in_channels = 3
        for v in cfg:
            if v == 'M':
                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                in_channels = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(128 * 4 * 4, 256), nn.ReLU(True), nn.Dropout(), nn.Linear(256, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.classifier(x)
