import XCTest
import NetIR
import Engine
import CPUBackend
import OpTable

/// The built-in networks on small inputs: three train steps with SGD momentum and with Adam must leave the same
/// parameters, running statistics and optimizer state on both backends.
final class NetworkComparisonTests: XCTestCase {
    let inputs = [TensorShape(channels: 1, height: 12, width: 12), TensorShape(channels: 3, height: 16, width: 16)]

    func assertAgree(_ name: String, _ graph: Graph, batches: [Int], optimizer: OptimizerConfig = .defaultSGD, learningRate: Float = 0.05,
                     steps: Int, instructions: Bool, threads: Int = 2, fuse: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let failures = try OpTable.disagreements(name, graph, batches: batches, fuse: [fuse], optimizer: optimizer, learningRate: learningRate,
                                                 steps: steps, instructions: instructions, tolerance: Tolerances.network(on: .cpu),
                                                 gradientTolerance: Tolerances.networkGradients(on: .cpu),
                                                 candidate: CPUBackend(threads: threads), as: .cpu)
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"), file: file, line: line)
    }

    func compare(_ net: BuiltinNetwork) throws {
        for input in inputs {
            let g = try net.graph(input: input, classes: 10)
            for optimizer in [OptimizerConfig.defaultSGD, .defaultAdam] {
                try assertAgree("\(net) \(input) \(optimizer)", g, batches: [1, 4], optimizer: optimizer,
                                learningRate: optimizer == .defaultSGD ? 0.05 : 1e-3, steps: 3, instructions: false)
            }
        }
    }

    func testInitial() throws { try compare(.initial) }
    func testSmallCNN() throws { try compare(.smallcnn) }
    func testResNet8() throws { try compare(.resnet8) }

    /// One and three threads split every parallel loop differently from the two used elsewhere (three on two
    /// cores also leaves remainders in every partition).
    func testThreadCounts() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 3, height: 9, width: 9), classes: 10)
        for threads in [1, 3] {
            try assertAgree("resnet8 on \(threads) threads", g, batches: [3], steps: 2, instructions: true, threads: threads)
        }
    }

    /// One instruction-by-instruction pass over a whole network, unfused, so every op it uses meets its own bound.
    func testResNet8InstructionByInstruction() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: inputs[0], classes: 10)
        try assertAgree("resnet8 instructions", g, batches: [2], steps: 1, instructions: true, fuse: false)
    }
}
