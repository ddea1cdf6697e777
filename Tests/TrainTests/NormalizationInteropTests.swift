// GroupNorm, InstanceNorm2d, LayerNorm (module and functional), PReLU, LocalResponseNorm and F.normalize go through NetCode, train here, and PyTorch
// runs our emitted source with our trained weights (strict=True), giving our logits to 1e-4: our reference-checked
// kernels compute what PyTorch's layers compute, and our parameter names and shapes are PyTorch's.
import NetIR
import XCTest

final class NormalizationInteropTests: XCTestCase {
    static let network = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 8, 3, padding=1)
            self.gn = nn.GroupNorm(2, 8, eps=1e-3)
            self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
            self.inorm = nn.InstanceNorm2d(8, affine=True)
            self.plain = nn.InstanceNorm2d(8)
            self.ln = nn.LayerNorm([8, 12, 12])
            self.rows = nn.LayerNorm(12, bias=False)
            self.fc = nn.Linear(8 * 12 * 12, 16)
            self.act = nn.PReLU(8)
            self.act1 = nn.PReLU()
            self.lrn = nn.LocalResponseNorm(3, alpha=0.5, k=2.0)
            self.head = nn.Linear(16, 10)

        def forward(self, x):
            x = self.act(self.gn(self.conv(x)))
            x = self.inorm(self.lrn(self.conv2(x))) + self.plain(x)
            x = self.rows(F.gelu(self.ln(x)))
            x = F.normalize(F.layer_norm(self.fc(torch.flatten(x, 1)), (16,)) - 1, dim=1)
            return self.head(self.act1(x))
    """

    func testPyTorchRunsOurTrainedNormalizations() throws {
        try PyTorchLogitsCheck.assertAgrees(self, network: Self.network)
    }
}
