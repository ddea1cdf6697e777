// The view and upsampling ops (chunk, split, channel indexing, stack-then-mean, sum over dims, expand_as,
// flatten(2), transpose/permute, a Linear over tokens and the mean over them, nearest and bilinear interpolation,
// nn.Upsample, ConvTranspose2d with groups and output_padding)
// checked against PyTorch once: a network using all of them is parsed, trained on the reference backend (the
// judge the other backends are tested against), and PyTorch runs both the original source and our emitted
// source with our safetensors weights (`strict=True`), giving our logits to 1e-4. Skipped (saying so) without
// python3 + torch + safetensors.
import Data
import Foundation
import NetCode
import NetIR
import XCTest
@testable import Train

final class ViewOpsInteropTests: XCTestCase {
    static let network = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 8, 3, stride=2, padding=1)
            self.up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
            self.upm = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)
            self.fc = nn.Linear(4, 4)
            self.proj = nn.Linear(4, 3)
            self.head = nn.Linear(51, 10)

        def forward(self, x):
            x = torch.tanh(self.conv(x))
            a, b = x.chunk(2, dim=1)
            u = self.up(a * torch.sigmoid(b)) + F.interpolate(torch.cat([b, b[:, 0:2]], 1), scale_factor=2)
            s, t = torch.split(u, [2, 4], dim=1)
            v = self.upm(s)
            w = F.interpolate(t, size=(7, 5), mode='bilinear', align_corners=False)
            g = torch.sigmoid(self.fc(w.sum(dim=(2, 3)) * 0.1))
            w2 = w * g[:, :, None, None].expand_as(w)
            p = torch.stack([w2, w]).mean(0)
            q = p.flatten(2).mean(-1)
            r = v.mean((2, 3))
            k = self.proj(w.flatten(2).transpose(1, 2)).mean(dim=1)
            h = p.permute(0, 2, 3, 1).mean((2, 3))
            return self.head(torch.cat([q, r, p[:, 1].flatten(1), k, h], 1))
    """

    func testOriginalAndEmittedSourceGiveOurLogitsInPyTorch() throws {
        try PyTorchLogitsCheck.assertAgrees(self, network: Self.network, original: true, backend: referenceBackend())
    }
}
