from collections import OrderedDict

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(OrderedDict([
            ('conv1', nn.Conv2d(1, 8, 3, padding=1)),
            ('bn1', nn.BatchNorm2d(8)),
            ('relu1', nn.ReLU()),
            ('pool1', nn.MaxPool2d(2)),
            ('conv2', nn.Conv2d(8, 16, 3, padding=1)),
            ('relu2', nn.ReLU()),
            ('pool2', nn.AvgPool2d(2)),
        ]))
        self.head = nn.Sequential(OrderedDict(
            flatten=nn.Flatten(),
            fc=nn.Linear(16 * 7 * 7, 10),
        ))

    def forward(self, x):
        return self.head(self.body(x))
