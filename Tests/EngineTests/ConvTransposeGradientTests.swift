import XCTest
import NetIR
import Engine
import ReferenceBackend

/// ConvTranspose2d (composed from the convolution kernels and a channel bias) against finite differences:
/// stride and output padding, padding, groups, dilation, no bias, and a module called twice (its gradients and
/// its input's gradient accumulate).
final class ConvTransposeGradientTests: XCTestCase {
    func testTransposedConvolutions() throws {
        typealias A = ConvTranspose2dAttributes
        let cases: [(String, A)] = [
            ("2x2 s2", A(inChannels: 3, outChannels: 2, kernel: Pair(2), stride: Pair(2))),
            ("3x3 s2 p1 output_padding 1", A(inChannels: 3, outChannels: 4, kernel: Pair(3), stride: Pair(2), padding: Pair(1), outputPadding: Pair(1))),
            ("3x3 s1 p1 no bias", A(inChannels: 3, outChannels: 2, kernel: Pair(3), padding: Pair(1), bias: false)),
            ("groups 3, (2, 3) kernel, s(1, 2)", A(inChannels: 3, outChannels: 6, kernel: Pair(2, 3), stride: Pair(1, 2), groups: 3)),
            ("dilation 2", A(inChannels: 3, outChannels: 2, kernel: Pair(3), padding: Pair(1), dilation: Pair(2))),
        ]
        for (name, a) in cases {
            let g = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
                let stem = try b.activation("act", try b.conv2d("stem", x, out: 3, kernel: 1), .tanh)
                return try b.add("up", .convTranspose2d(a), [stem])
            }
            try assertGradientsMatch(name, g, batches: [2])
        }
    }

    func testSharedModuleAndFanOut() throws {
        let a = ConvTranspose2dAttributes(inChannels: 2, outChannels: 2, kernel: Pair(3), padding: Pair(1))
        var b = NetworkBuilder(input: TensorShape(channels: 2, height: 3, width: 3))
        let stem = try b.activation("act", try b.conv2d("stem", b.input, out: 2, kernel: 1), .tanh)
        let once = try b.add("up", .convTranspose2d(a), [stem])
        let twice = try b.add("up_1", .convTranspose2d(a), [try b.activation("act2", once, .tanh)], module: "up")
        let out = try b.add("sum", .add, [twice, stem])
        let g = try b.build(output: try b.linear("head", try b.flatten("flatten", out), out: 3))
        try assertGradientsMatch("shared ConvTranspose2d with a skip", g, batches: [2])
    }
}
