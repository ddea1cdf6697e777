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

    static let snippet = #"""
    import runpy, sys, json
    import torch
    from safetensors.torch import load_file
    weights, inputs = sys.argv[1:3]
    x = torch.frombuffer(bytearray(open(inputs, "rb").read()), dtype=torch.float32).reshape(-1, 1, 12, 12)
    out = []
    for source in sys.argv[3:]:
        model = runpy.run_path(source)["Net"]()
        model.load_state_dict(load_file(weights), strict=True)
        model.eval()
        with torch.no_grad():
            out.append(model(x).flatten().tolist())
    print(json.dumps(out))
    """#

    func testOriginalAndEmittedSourceGiveOurLogitsInPyTorch() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import torch, safetensors"]
        check.standardError = Pipe()
        try check.run()
        check.waitUntilExit()
        if check.terminationStatus != 0 { throw XCTSkip("python3 with torch and safetensors is not available") }

        let parsed = try NetworkSource.parse(Self.network, file: "net.py", input: TensorShape(channels: 1, height: 12, width: 12))
        let folder = try makeScratchDirectory(self)
        let data = try DatasetCatalog.load("synthetic:1x12x12:10:24:8", seed: 4)
        let trainer = try Trainer(graph: parsed.graph, config: TrainingConfig(epochs: 1, batchSize: 8, learningRate: 0.05, seed: 9),
                                  backend: referenceBackend())
        _ = try trainer.train(on: data.train)
        let weights = "\(folder)/net.safetensors", inputsPath = "\(folder)/net.bin"
        let original = "\(folder)/original.py", emitted = "\(folder)/emitted.py"
        try trainer.saveWeights(to: weights)
        try Self.network.write(toFile: original, atomically: true, encoding: .utf8)
        try NetworkSource.emit(parsed.graph).write(toFile: emitted, atomically: true, encoding: .utf8)
        let inputs = (0..<(5 * 144)).map { Float(sin(Double($0) * 0.37)) * 1.5 }
        try Data(inputs.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } })
            .write(to: URL(fileURLWithPath: inputsPath))
        let ours = try trainer.logits(for: inputs)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.snippet, weights, inputsPath, original, emitted]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "PyTorch rejected a source or our weights:\n\(output)")
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("[") }),
              let runs = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [[NSNumber]], runs.count == 2 else {
            return XCTFail("no logits from PyTorch:\n\(output)")
        }
        for (name, theirs) in zip(["original", "emitted"], runs) {
            XCTAssertEqual(theirs.count, ours.count, name)
            let worst = zip(ours, theirs).map { abs(Double($0) - $1.doubleValue) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4, "\(name) source: largest |ours - PyTorch| over \(theirs.count) logits")
        }
    }
}
