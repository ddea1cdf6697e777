import torch.nn as nn


class Net(nn.Module):
    def __init__(self, input_dim=28 * 28, hidden=(512, 256), num_classes=10, p=0.2):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(input_dim, hidden[0])
        self.bn1 = nn.BatchNorm1d(hidden[0])
        self.fc2 = nn.Linear(hidden[0], hidden[1])
        self.bn2 = nn.BatchNorm1d(hidden[1], eps=1e-3, momentum=0.05)
        self.drop = nn.Dropout(p=p)
        self.out = nn.Linear(hidden[1], num_classes)
        self.log_softmax = nn.LogSoftmax(dim=1)

    def forward(self, x):
        x = self.flatten(x)
        x = self.drop(nn.functional.relu(self.bn1(self.fc1(x))))
        x = self.drop(nn.functional.relu(self.bn2(self.fc2(x))))
        return self.log_softmax(self.out(x))
