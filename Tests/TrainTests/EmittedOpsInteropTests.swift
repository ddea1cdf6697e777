// A network written with the new ops (registry activations, gates, views, scalar arithmetic) goes through
// NetCode, trains here, and PyTorch runs our emitted source with our safetensors weights (`strict=True`),
// giving our logits to 1e-4. Skipped (saying so) without python3 + torch + safetensors.
import Data
import Foundation
import NetCode
import NetIR
import XCTest
@testable import Train

final class EmittedOpsInteropTests: XCTestCase {
    static let network = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 8, 3, padding=1)
            self.act = nn.Hardswish()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc1 = nn.Linear(8, 4)
            self.fc2 = nn.Linear(4, 8)
            self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
            self.head = nn.Linear(8 * 12 * 12, 10)

        def forward(self, x):
            x = self.act(self.conv(x))
            y = self.pool(x).view(x.size(0), -1)
            y = torch.sigmoid(self.fc2(F.mish(self.fc1(y))))
            x = x * y.view(x.size(0), -1, 1, 1)
            z = F.gelu(self.conv2(x), approximate='tanh')
            x = 1 - z * 0.5 + x
            x = F.softplus(x, beta=2) - F.relu6(x) + F.selu(x) * F.softsign(x) / 2
            x = F.hardtanh(x, -2.0, 2.0) + F.hardsigmoid(x)
            return self.head(torch.flatten(F.celu(x, 0.5), 1))
    """

    func testEmittedSourceAndWeightsGiveOurLogitsInPyTorch() throws {
        try PyTorchLogitsCheck.assertAgrees(self, network: Self.network)
    }
}
