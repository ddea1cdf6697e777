// Pad (every spelling and mode, Conv2d padding_mode), ceil_mode pools, AdaptiveMaxPool2d, amax, max over a dim and the alpha
// dropouts go through NetCode, train here, and PyTorch runs our emitted source with our weights to our logits.
import XCTest

final class PadPoolInteropTests: XCTestCase {
    static let network = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.pad1 = nn.ReflectionPad2d((1, 2, 0, 1))
            self.conv1 = nn.Conv2d(1, 6, 3, padding=1, padding_mode='reflect')
            self.drop = nn.AlphaDropout(0.2)
            self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.pad2 = nn.ReplicationPad2d(1)
            self.conv2 = nn.Conv2d(6, 8, 3, padding=1, padding_mode='replicate')
            self.fdrop = nn.FeatureAlphaDropout(0.1)
            self.pool2 = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)
            self.zpad = nn.ZeroPad2d((0, 1, 0, 1))
            self.cpad = nn.ConstantPad2d(1, -0.5)
            self.amaxpool = nn.AdaptiveMaxPool2d(2)
            self.head = nn.Linear(8 * 4 + 8 + 8 + 8, 10)

        def forward(self, x):
            x = self.conv1(self.pad1(x))
            x = self.pool1(self.drop(F.elu(x)))
            x = self.conv2(self.pad2(x))
            x = self.pool2(self.fdrop(torch.tanh(x)))
            x = self.cpad(self.zpad(x))
            a = torch.flatten(self.amaxpool(x), 1)
            b = torch.amax(F.pad(x, (1, 1, 1, 1), mode='reflect'), dim=(2, 3))
            c = torch.flatten(F.adaptive_max_pool2d(x, 1), 1)
            d, _ = x.view(x.size(0), 8, -1).max(dim=2)
            return self.head(torch.cat([a, b, c, d], 1))
    """

    func testEmittedSourceAndWeightsGiveOurLogitsInPyTorch() throws {
        try PyTorchLogitsCheck.assertAgrees(self, network: Self.network)
    }
}
