import torch
import torch.nn as nn


class PreActBlock(nn.Module):
    def __init__(self, channels, downsample=False):
        super().__init__()
        out_channels = channels * 2 if downsample else channels
        stride = 2 if downsample else 1
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv1 = nn.Conv2d(channels, out_channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.relu = nn.ReLU()
        if downsample:
            self.skip = nn.Conv2d(channels, out_channels, 1, stride=2, bias=False)
        else:
            self.skip = nn.Identity()

    def forward(self, x):
        out = self.relu(self.bn1(x))
        shortcut = self.skip(out)
        out = self.conv1(out)
        out = self.conv2(self.relu(self.bn2(out)))
        return torch.add(out, shortcut)


class Net(nn.Module):
    def __init__(self, base=16, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, base, 3, padding=1, bias=False)
        self.stage = nn.Sequential(
            PreActBlock(base),
            PreActBlock(base, downsample=True),
            PreActBlock(base * 2),
            PreActBlock(base * 2, downsample=True),
        )
        self.bn = nn.BatchNorm2d(base * 4)
        self.fc = nn.Linear(base * 4, num_classes)

    def forward(self, x):
        x = self.stage(self.conv(x))
        x = torch.relu(self.bn(x))
        x = nn.functional.adaptive_avg_pool2d(x, 1).view(x.size(0), -1)
        x = self.fc(x)
        return x
