// Trains a network given as PyTorch source for one short epoch here, then has PyTorch run our emitted source
// with our safetensors weights (`load_state_dict(strict=True)`) on fixed inputs: the logits must agree to
// `tolerance`. Skips (saying so) without python3 + torch + safetensors.
import Data
import Foundation
import NetCode
import NetIR
import XCTest
@testable import Train

enum PyTorchLogitsCheck {
    static let snippet = #"""
    import runpy, sys, json
    import torch
    from safetensors.torch import load_file
    source, weights, inputs = sys.argv[1:4]
    shape = [int(d) for d in sys.argv[4].split("x")]
    model = runpy.run_path(source)["Net"]()
    model.load_state_dict(load_file(weights), strict=True)
    model.eval()
    x = torch.frombuffer(bytearray(open(inputs, "rb").read()), dtype=torch.float32).reshape(-1, *shape)
    with torch.no_grad():
        print(json.dumps(model(x).flatten().tolist()))
    """#

    static func requirePyTorch() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import torch, safetensors"]
        check.standardError = Pipe()
        try check.run()
        check.waitUntilExit()
        if check.terminationStatus != 0 { throw XCTSkip("python3 with torch and safetensors is not available") }
    }

    /// The largest |ours - PyTorch| over the logits of 5 fixed inputs, after one epoch of training on synthetic data.
    static func worstDifference(_ test: XCTestCase, network: String, input: TensorShape, file: StaticString = #filePath,
                                line: UInt = #line) throws -> Double {
        try requirePyTorch()
        let parsed = try NetworkSource.parse(network, file: "net.py", input: input)
        let folder = try makeScratchDirectory(test)
        let dims = input.dims.map(String.init).joined(separator: "x")
        let data = try DatasetCatalog.load("synthetic:\(dims):10:24:8", seed: 4)
        let trainer = try Trainer(graph: parsed.graph, config: TrainingConfig(epochs: 1, batchSize: 8, learningRate: 0.05, seed: 9),
                                  backend: fastBackend())
        _ = try trainer.train(on: data.train)
        let weights = "\(folder)/net.safetensors", inputsPath = "\(folder)/net.bin", source = "\(folder)/emitted.py"
        try trainer.saveWeights(to: weights)
        try NetworkSource.emit(parsed.graph).write(toFile: source, atomically: true, encoding: .utf8)
        let inputs = (0..<(5 * input.count)).map { Float(sin(Double($0) * 0.37)) * 1.5 }
        try Data(inputs.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } })
            .write(to: URL(fileURLWithPath: inputsPath))
        let ours = try trainer.logits(for: inputs)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", snippet, source, weights, inputsPath, dims]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "PyTorch rejected our source or weights:\n\(output)", file: file, line: line)
        guard let text = output.split(separator: "\n").last(where: { $0.hasPrefix("[") }),
              let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [NSNumber], theirs.count == ours.count else {
            XCTFail("no logits (or another count) from PyTorch:\n\(output)", file: file, line: line)
            return .infinity
        }
        return zip(ours, theirs).map { abs(Double($0) - $1.doubleValue) }.max() ?? .infinity
    }
}
