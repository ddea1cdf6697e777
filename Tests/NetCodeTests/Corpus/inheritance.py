import torch
import torch.nn as nn


class ConvBNAct(nn.Module):
    def __init__(self, cin, cout, k=3, s=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Backbone(nn.Module):
    def __init__(self, widths=(16, 32, 64)):
        super().__init__()
        self.widths = widths
        layers = []
        cin = 1
        for w in widths:
            layers += [ConvBNAct(cin, w), ConvBNAct(w, w, s=2)]
            cin = w
        self.body = nn.Sequential(*layers)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.features(x)


class Classifier(Backbone):
    def __init__(self, num_classes=10):
        super().__init__(widths=(16, 32, 64))
        self.head = nn.Linear(self.widths[-1], num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.mean((2, 3))
        return self.head(x)
