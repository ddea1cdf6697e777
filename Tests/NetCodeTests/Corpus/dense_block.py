import torch
import torch.nn as nn
import torch.nn.functional as F


class DenseLayer(nn.Module):
    def __init__(self, in_channels, growth_rate):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_channels)
        self.conv = nn.Conv2d(in_channels, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, x):
        return self.conv(F.relu(self.bn(x)))


class DenseBlock(nn.Module):
    def __init__(self, num_layers, in_channels, growth_rate):
        super().__init__()
        self.layers = nn.ModuleList(
            [DenseLayer(in_channels + i * growth_rate, growth_rate) for i in range(num_layers)]
        )

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            out = layer(torch.cat(features, 1))
            features.append(out)
        return torch.cat(features, 1)


class Transition(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_channels)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(2)

    def forward(self, x):
        return self.pool(self.conv(F.relu(self.bn(x))))


class TinyDenseNet(nn.Module):
    def __init__(self, growth_rate=12, block_layers=(3, 3), num_classes=10):
        super().__init__()
        channels = 2 * growth_rate
        self.conv0 = nn.Conv2d(3, channels, kernel_size=3, padding=1, bias=False)
        blocks = []
        for i, n in enumerate(block_layers):
            blocks.append(DenseBlock(n, channels, growth_rate))
            channels += n * growth_rate
            if i != len(block_layers) - 1:
                blocks.append(Transition(channels, channels // 2))
                channels //= 2
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(channels)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.blocks(self.conv0(x))
        x = F.relu(self.bn(x))
        x = F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        return self.classifier(x)
