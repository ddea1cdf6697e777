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

    static let snippet = #"""
    import runpy, sys, json
    import torch
    from safetensors.torch import load_file
    source, weights, inputs = sys.argv[1:4]
    model = runpy.run_path(source)["Net"]()
    model.load_state_dict(load_file(weights), strict=True)
    model.eval()
    x = torch.frombuffer(bytearray(open(inputs, "rb").read()), dtype=torch.float32).reshape(-1, 1, 12, 12)
    with torch.no_grad():
        print(json.dumps(model(x).flatten().tolist()))
    """#

    func testEmittedSourceAndWeightsGiveOurLogitsInPyTorch() throws {
        try assertPyTorchGivesOurLogits(Self.network)
    }
}

extension XCTestCase {
    /// Parses `network` (input 1x12x12), trains it one epoch, and has PyTorch run the emitted source with the
    /// saved weights (`strict=True`) in eval mode: its logits must equal ours to 1e-4. Skips without torch.
    func assertPyTorchGivesOurLogits(_ network: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import torch, safetensors"]
        check.standardError = Pipe()
        try check.run()
        check.waitUntilExit()
        if check.terminationStatus != 0 { throw XCTSkip("python3 with torch and safetensors is not available") }

        let parsed = try NetworkSource.parse(network, file: "net.py", input: TensorShape(channels: 1, height: 12, width: 12))
        let folder = try makeScratchDirectory(self)
        let data = try DatasetCatalog.load("synthetic:1x12x12:10:24:8", seed: 4)
        let trainer = try Trainer(graph: parsed.graph, config: TrainingConfig(epochs: 1, batchSize: 8, learningRate: 0.05, seed: 9),
                                  backend: fastBackend())
        _ = try trainer.train(on: data.train)
        let weights = "\(folder)/net.safetensors", inputsPath = "\(folder)/net.bin", source = "\(folder)/emitted.py"
        try trainer.saveWeights(to: weights)
        try NetworkSource.emit(parsed.graph).write(toFile: source, atomically: true, encoding: .utf8)
        let inputs = (0..<(5 * 144)).map { Float(sin(Double($0) * 0.37)) * 1.5 }
        try Data(inputs.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } })
            .write(to: URL(fileURLWithPath: inputsPath))
        let ours = try trainer.logits(for: inputs)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", EmittedOpsInteropTests.snippet, source, weights, inputsPath]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "PyTorch rejected our source or weights:\n\(output)", file: file, line: line)
        guard let printed = output.split(separator: "\n").last(where: { $0.hasPrefix("[") }),
              let theirs = try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [NSNumber] else {
            return XCTFail("no logits from PyTorch:\n\(output)", file: file, line: line)
        }
        XCTAssertEqual(theirs.count, ours.count, file: file, line: line)
        let worst = zip(ours, theirs).map { abs(Double($0) - $1.doubleValue) }.max() ?? .infinity
        XCTAssertLessThan(worst, 1e-4, "largest |ours - PyTorch| over \(theirs.count) logits", file: file, line: line)
    }
}
