import Foundation
import XCTest
import NetIR
@testable import NetCode

/// Every activation of the registry (NetIR/Activation.swift) parses in its module and functional spellings,
/// and the emitter writes back source that parses to the same activation.
final class ActivationSyntaxTests: XCTestCase {
    func testEveryExampleParsesInBothSpellings() throws {
        for act in Activation.examples {
            let module = network(init: ["self.act = \(act.moduleExpression)"], forward: ["return self.act(torch.flatten(x, 1))"])
            XCTAssertEqual(try parseNet(module).graph.nodes.last?.layer, .activation(act), "\(act): \(act.moduleExpression)")
            let call = act.functionalExpression("torch.flatten(x, 1)").text
            let functional = network(init: [], forward: ["return \(call)"])
            XCTAssertEqual(try parseNet(functional).graph.nodes.last?.layer, .activation(act), "\(act): \(call)")
        }
    }

    func testEmittedSourceParsesToTheSameActivations() throws {
        for act in Activation.examples {
            let source = network(init: ["self.fc = nn.Linear(784, 8)", "self.act = \(act.moduleExpression)"],
                                 forward: ["h = self.act(self.fc(torch.flatten(x, 1)))", "return h"])
            let graph = try parseNet(source).graph
            let again = try parseNet(NetworkSource.emit(graph)).graph
            XCTAssertEqual(again.nodes.map(\.layer), graph.nodes.map(\.layer), "\(act)")
        }
    }

    /// Spellings as people write them, not as we emit them.
    func testHandWrittenSpellings() throws {
        let cases: [(String, Activation)] = [
            ("nn.ReLU6(inplace=True)(h)", .relu6), ("F.relu6(h)", .relu6), ("F.relu6(h, inplace=True)", .relu6),
            ("nn.Hardswish()(h)", .hardswish), ("F.hardswish(h)", .hardswish), ("F.hardsigmoid(h, True)", .hardsigmoid),
            ("nn.GELU(approximate='tanh')(h)", .geluTanh), ("F.gelu(h, approximate='tanh')", .geluTanh),
            ("F.hardtanh(h, -2.0, 2.0)", .hardtanh(min: -2, max: 2)), ("nn.Hardtanh()(h)", .hardtanh(min: -1, max: 1)),
            ("F.softplus(h, beta=2)", .softplus(beta: 2, threshold: 20)), ("nn.Softplus()(h)", .softplus(beta: 1, threshold: 20)),
            ("F.selu(h)", .selu), ("nn.CELU(0.5)(h)", .celu(alpha: 0.5)), ("F.mish(h)", .mish), ("F.softsign(h)", .softsign),
            ("torch.sigmoid(h)", .sigmoid), ("h.tanh()", .tanh),
        ]
        for (call, act) in cases {
            let source = network(init: [], forward: ["h = torch.flatten(x, 1)", "return \(call)"])
            XCTAssertEqual(try parseNet(source).graph.nodes.last?.layer, .activation(act), call)
        }
    }

    func testBadArgumentsNameTheArgument() {
        let gelu = parseError(network(init: ["self.act = nn.GELU(approximate='fast')"], forward: ["return self.act(x)"]))
        XCTAssertTrue(gelu?.contains("approximate must be 'none' or 'tanh'") == true, gelu ?? "parsed")
        let hardtanh = parseError(network(init: ["self.act = nn.Hardtanh(1.0, -1.0)"], forward: ["return self.act(x)"]))
        XCTAssertTrue(hardtanh?.contains("max_val must be greater than min_val") == true, hardtanh ?? "parsed")
    }
}

/// The registry's formulas (which the reference backend evaluates as they are) against PyTorch in float64:
/// forward and derivative of every example at a grid that includes the kinks (PyTorch's choice there counts).
/// Tolerance 1e-7 relative + absolute: the IR holds parameters as Float (0.1 is 0.10000000149 to us, 0.1 to
/// PyTorch reading the emitted text), and PyTorch's Hardsigmoid derivative uses a Float 1/6 even in float64.
final class ActivationPyTorchTests: XCTestCase {
    static let script = """
    import json, sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    jobs = json.load(open(sys.argv[1]))
    out = []
    for job in jobs:
        x = torch.tensor(job["xs"], dtype=torch.float64, requires_grad=True)
        y = eval(job["module"])(x)
        y.sum().backward()
        out.append({"y": y.tolist(), "dy": x.grad.tolist()})
    print(json.dumps(out))
    """

    struct Job: Codable { let module: String; let xs: [Double] }
    struct Result: Codable { let y: [Double]; let dy: [Double] }

    func testRegistryMatchesPyTorch() throws {
        try PyTorchReferenceTests.requireTorch()
        let grid = stride(from: -8.0, through: 8.0, by: 0.35).map { $0 } + [-3, -1, -0.5, 0, 0.75, 1.5, 3, 6]
        let jobs = Activation.examples.map { Job(module: $0.moduleExpression, xs: grid) }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("activations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let jobsFile = work.appendingPathComponent("jobs.json"), scriptFile = work.appendingPathComponent("activations.py")
        try JSONEncoder().encode(jobs).write(to: jobsFile)
        try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let output = try PyTorchReferenceTests.run(["python3", scriptFile.path, jobsFile.path], timeout: 300)
        let results = try JSONDecoder().decode([Result].self, from: Data(output.utf8))
        XCTAssertEqual(results.count, jobs.count)
        for (act, result) in zip(Activation.examples, results) {
            for (k, x) in grid.enumerated() {
                let y = act.forward(x), d = act.derivative(x)
                XCTAssertEqual(y, result.y[k], accuracy: 1e-7 * (1 + abs(y)), "\(act) forward at \(x)")
                XCTAssertEqual(d, result.dy[k], accuracy: 1e-7 * (1 + abs(d)), "\(act) derivative at \(x)")
                if let fromOutput = act.derivative(fromOutput: y), x != 0 {
                    XCTAssertEqual(fromOutput, d, accuracy: 1e-7 * (1 + abs(d)), "\(act) derivative from the output at \(x)")
                }
            }
        }
    }
}
