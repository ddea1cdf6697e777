import XCTest
import NetIR
import Engine
import CPUBackend

/// The built-in networks on small inputs: three train steps with SGD momentum and with Adam must leave the same
/// parameters, running statistics and optimizer state on both backends.
final class NetworkComparisonTests: XCTestCase {
    let inputs = [TensorShape(channels: 1, height: 12, width: 12), TensorShape(channels: 3, height: 16, width: 16)]

    func compare(_ net: BuiltinNetwork) throws {
        for input in inputs {
            let g = try net.graph(input: input, classes: 10)
            for optimizer in [OptimizerConfig.defaultSGD, .defaultAdam] {
                try assertBackendsAgree("\(net) \(input) \(optimizer)", g, batches: [1, 4], fuse: [true], optimizer: optimizer,
                                        learningRate: optimizer == .defaultSGD ? 0.05 : 1e-3, steps: 3, instructions: false,
                                        tolerance: Tolerance.network, gradientTolerance: Tolerance.networkGradients)
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
            try assertBackendsAgree("resnet8 on \(threads) threads", g, batches: [3], fuse: [true], steps: 2, tolerance: Tolerance.network,
                                    gradientTolerance: Tolerance.networkGradients, candidate: CPUBackend(threads: threads))
        }
    }

    /// One instruction-by-instruction pass over a whole network, unfused, so every op it uses meets its own bound.
    func testResNet8InstructionByInstruction() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: inputs[0], classes: 10)
        try assertBackendsAgree("resnet8 instructions", g, batches: [2], fuse: [false], steps: 1, tolerance: Tolerance.network,
                                gradientTolerance: Tolerance.networkGradients)
    }
}
