// Our safetensors files load into PyTorch with `load_state_dict(strict=True)` and give PyTorch the same logits
// as our eval program. Needs python3 with torch; skipped (saying so) without it. The `safetensors` pip package is
// used when present, else the file is parsed by hand in the snippet, so nothing has to be installed.
import Data
import Foundation
import NetIR
import PythonSupport
import XCTest
@testable import Train

final class PyTorchInteropTests: XCTestCase {
    static let snippet = #"""
import json, struct, sys
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self, c, h, w, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, classes)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))

class ResNet8(nn.Module):
    def __init__(self, c, h, w, classes):
        super().__init__()
        self.conv0 = nn.Conv2d(c, 16, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(16)
        for s, (cin, cout, stride) in enumerate([(16, 16, 1), (16, 32, 2), (32, 64, 2)], 1):
            setattr(self, f"s{s}_conv1", nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False))
            setattr(self, f"s{s}_bn1", nn.BatchNorm2d(cout))
            setattr(self, f"s{s}_conv2", nn.Conv2d(cout, cout, 3, padding=1, bias=False))
            setattr(self, f"s{s}_bn2", nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout:
                setattr(self, f"s{s}_sc_conv", nn.Conv2d(cin, cout, 1, stride=stride, bias=False))
                setattr(self, f"s{s}_sc_bn", nn.BatchNorm2d(cout))
        self.fc = nn.Linear(64, classes)
    def forward(self, x):
        x = F.relu(self.bn0(self.conv0(x)))
        for s in (1, 2, 3):
            y = F.relu(getattr(self, f"s{s}_bn1")(getattr(self, f"s{s}_conv1")(x)))
            y = getattr(self, f"s{s}_bn2")(getattr(self, f"s{s}_conv2")(y))
            sc = x if not hasattr(self, f"s{s}_sc_conv") else getattr(self, f"s{s}_sc_bn")(getattr(self, f"s{s}_sc_conv")(x))
            x = F.relu(y + sc)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

def load(path):
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        data = open(path, "rb").read()
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        types = {"F32": torch.float32, "I64": torch.int64}
        tensors = {}
        for name, e in header.items():
            if name == "__metadata__":
                continue
            begin, end = e["data_offsets"]
            raw = bytearray(data[8 + n + begin:8 + n + end])
            tensors[name] = torch.frombuffer(raw, dtype=types[e["dtype"]]).reshape(e["shape"]).clone()
        return tensors

# Arguments come in fours: net, weights file, raw float32 inputs file, CxHxWxCLASSES. One JSON line each.
for k in range(1, len(sys.argv), 4):
    net, weights, inputs, shape = sys.argv[k:k + 4]
    c, h, w, classes = [int(v) for v in shape.split("x")]
    model = {"smallcnn": SmallCNN, "resnet8": ResNet8}[net](c, h, w, classes)
    model.load_state_dict(load(weights), strict=True)
    model.eval()
    x = torch.frombuffer(bytearray(open(inputs, "rb").read()), dtype=torch.float32).reshape(-1, c, h, w)
    with torch.no_grad():
        print(json.dumps(model(x).flatten().tolist()))
"""#

    /// Runs the snippet once for all jobs (importing torch takes seconds); nil when python3 or torch is missing.
    func pytorchLogits(_ jobs: [[String]]) throws -> [[Double]]? {
        let result = try Python.run(["-c", Self.snippet] + jobs.flatMap { $0 })
        if result.status != 0 && (result.output.contains("No module named 'torch'") || result.status == 127) { return nil }
        guard result.status == 0 else {
            XCTFail("PyTorch rejected our files:\n\(result.output)")
            return []
        }
        let lines = result.output.split(separator: "\n").filter { $0.hasPrefix("[") }
        return try lines.map { line in
            let values = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [NSNumber]
            return values?.map(\.doubleValue) ?? []
        }
    }

    /// A few training steps (so BatchNorm statistics and num_batches_tracked are not the defaults), then the
    /// weights file, fixed inputs and our eval-mode logits on them.
    func prepare(_ net: BuiltinNetwork, channels: Int, size: Int, in folder: String) throws -> (job: [String], logits: [Float]) {
        let data = try DatasetCatalog.load("synthetic:\(channels)x\(size)x\(size):10:24:8", seed: 4)
        let trainer = try Trainer(graph: try builtin(net, data),
                                  config: TrainingConfig(epochs: 1, batchSize: 8, learningRate: 0.05, seed: 9),
                                  backend: fastBackend())
        _ = try trainer.train(on: data.train)
        let weights = "\(folder)/\(net).safetensors", inputsPath = "\(folder)/\(net).bin"
        try trainer.saveWeights(to: weights)
        let inputs = (0..<(5 * channels * size * size)).map { Float(sin(Double($0) * 0.37)) * 1.5 }
        try Python.writeFloats(inputs, to: inputsPath)
        return ([net.rawValue, weights, inputsPath, "\(channels)x\(size)x\(size)x10"], try trainer.logits(for: inputs))
    }

    /// smallcnn (no BatchNorm) and resnet8 (BatchNorm, projection shortcuts, bias-free convolutions) load with
    /// `strict=True` and agree with our logits to 1e-4.
    func testBuiltinWeightsLoadIntoPyTorchAndGiveOurLogits() throws {
        let folder = try makeScratchDirectory(self)
        let cases = [try prepare(.smallcnn, channels: 1, size: 28, in: folder), try prepare(.resnet8, channels: 3, size: 16, in: folder)]
        guard let theirs = try pytorchLogits(cases.map(\.job)) else {
            throw XCTSkip("python3 with torch is not available: PyTorch interoperability not checked")
        }
        XCTAssertEqual(theirs.count, cases.count)
        for (c, t) in zip(cases, theirs) {
            XCTAssertEqual(t.count, c.logits.count, c.job[0])
            let worst = zip(c.logits, t).map { abs(Double($0) - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4, "\(c.job[0]): largest |ours - PyTorch| over \(t.count) logits")
        }
    }
}
