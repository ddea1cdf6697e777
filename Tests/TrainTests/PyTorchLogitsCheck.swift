// The one PyTorch interop check of the op tests: trains a network given as PyTorch source for one short epoch
// here, then has PyTorch run our emitted source (and, when asked, the original) with our safetensors weights
// (`load_state_dict(strict=True)`) in eval mode on fixed inputs; the logits must agree to `tolerance`.
// Skips (saying so) without python3 + torch + safetensors.
import Data
import Engine
import Foundation
import NetCode
import NetIR
import PythonSupport
import XCTest
@testable import Train

enum PyTorchLogitsCheck {
    /// Float32 logits through different kernels: 1e-4 leaves room for summation order, far below any wrong op
    /// (a swapped bilinear for nearest gave 0.48).
    static let tolerance = 1e-4

    /// Prints one JSON list of logits per source given after the weights, inputs and input shape.
    static let snippet = #"""
    import runpy, sys, json
    import torch
    from safetensors.torch import load_file
    weights, inputs = sys.argv[1:3]
    shape = [int(d) for d in sys.argv[3].split("x")]
    x = torch.frombuffer(bytearray(open(inputs, "rb").read()), dtype=torch.float32).reshape(-1, *shape)
    out = []
    for source in sys.argv[4:]:
        model = runpy.run_path(source)["Net"]()
        model.load_state_dict(load_file(weights), strict=True)
        model.eval()
        with torch.no_grad():
            out.append(model(x).flatten().tolist())
    print(json.dumps(out))
    """#

    static func requirePyTorch() throws {
        if let reason = Python.missing(["torch", "safetensors"]) { throw XCTSkip(reason) }
    }

    /// The largest |ours - PyTorch| over the logits of 5 fixed inputs after one epoch of training on synthetic
    /// data: for the emitted source, then (with `original`) for `network` itself.
    static func worstDifferences(_ test: XCTestCase, network: String, input: TensorShape, original: Bool = false,
                                 backend: (any Backend)? = nil, file: StaticString = #filePath,
                                 line: UInt = #line) throws -> [Double] {
        try requirePyTorch()
        let parsed = try NetworkSource.parse(network, file: "net.py", input: input)
        let folder = try makeScratchDirectory(test)
        let dims = input.dims.map(String.init).joined(separator: "x")
        let data = try DatasetCatalog.load("synthetic:\(dims):10:24:8", seed: 4)
        let trainer = try Trainer(graph: parsed.graph, config: TrainingConfig(epochs: 1, batchSize: 8, learningRate: 0.05, seed: 9),
                                  backend: backend ?? fastBackend())
        _ = try trainer.train(on: data.train)
        let weights = "\(folder)/net.safetensors", inputsPath = "\(folder)/net.bin"
        var sources = ["\(folder)/emitted.py"]
        try trainer.saveWeights(to: weights)
        try NetworkSource.emit(parsed.graph).write(toFile: sources[0], atomically: true, encoding: .utf8)
        if original {
            sources.append("\(folder)/original.py")
            try network.write(toFile: sources[1], atomically: true, encoding: .utf8)
        }
        let inputs = (0..<(5 * input.count)).map { Float(sin(Double($0) * 0.37)) * 1.5 }
        try Python.writeFloats(inputs, to: inputsPath)
        let ours = try trainer.logits(for: inputs)

        let (status, output) = try Python.run(["-c", snippet, weights, inputsPath, dims] + sources)
        XCTAssertEqual(status, 0, "PyTorch rejected a source or our weights:\n\(output)", file: file, line: line)
        guard let text = output.split(separator: "\n").last(where: { $0.hasPrefix("[") }),
              let runs = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[NSNumber]], runs.count == sources.count,
              runs.allSatisfy({ $0.count == ours.count }) else {
            XCTFail("no logits (or another count) from PyTorch:\n\(output)", file: file, line: line)
            return sources.map { _ in .infinity }
        }
        return runs.map { theirs in zip(ours, theirs).map { abs(Double($0) - $1.doubleValue) }.max() ?? .infinity }
    }

    /// The emitted (and with `original`, the original) source gives our logits in PyTorch to `tolerance`.
    static func assertAgrees(_ test: XCTestCase, network: String, input: TensorShape = TensorShape(channels: 1, height: 12, width: 12),
                             original: Bool = false, backend: (any Backend)? = nil, file: StaticString = #filePath,
                             line: UInt = #line) throws {
        let worst = try worstDifferences(test, network: network, input: input, original: original, backend: backend,
                                         file: file, line: line)
        for (name, w) in zip(["emitted", "original"], worst) {
            XCTAssertLessThan(w, tolerance, "\(name) source: largest |ours - PyTorch|", file: file, line: line)
        }
    }
}
