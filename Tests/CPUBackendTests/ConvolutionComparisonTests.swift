import XCTest
import NetIR
import Engine

/// conv2d against the reference over awkward channel counts and geometries. The conv under test sits behind a
/// 1x1 stem so that its backward-data is exercised, and in front of a linear head.
final class ConvolutionComparisonTests: XCTestCase {
    struct Case {
        var name: String
        var input: TensorShape
        var out: Int
        var kernel = Pair(3), stride = Pair(1), padding = Pair(1), dilation = Pair(1)
        var groups = 1
        var bias = true
        var activation: Activation?
        var batch = 2
    }

    func graph(_ c: Case) throws -> Graph {
        var b = NetworkBuilder(input: c.input)
        let stem = try b.activation("stem_act", try b.conv2d("stem", b.input, out: c.input.channels, kernel: 1), .tanh)
        let a = Conv2dAttributes(inChannels: c.input.channels, outChannels: c.out, kernel: c.kernel, stride: c.stride,
                                 padding: c.padding, dilation: c.dilation, groups: c.groups, bias: c.bias)
        var y = try b.add("conv", .conv2d(a), [stem])
        if let act = c.activation { y = try b.activation("act", y, act) }
        let logits = try b.linear("head", try b.flatten("flatten", y), out: 3)
        return try b.build(output: logits)
    }

    func run(_ cases: [Case], fuse: [Bool] = [true]) throws {
        for c in cases {
            try assertBackendsAgree("conv \(c.name)", try graph(c), batches: [c.batch], fuse: fuse)
        }
    }

    func image(_ c: Int, _ h: Int, _ w: Int) -> TensorShape { TensorShape(channels: c, height: h, width: w) }

    /// Every channel count of the sweep at every batch size.
    func testChannelCounts() throws {
        let counts = [1, 3, 31, 32, 33, 63, 64, 65]
        for (k, c) in counts.enumerated() {
            let out = counts[(k + 3) % counts.count]
            let g = try graph(Case(name: "", input: image(c, 4, 3), out: out, stride: Pair(1 + k % 2)))
            try assertBackendsAgree("conv \(c)->\(out) s\(1 + k % 2)", g, batches: [1, 2, 5], fuse: [true])
        }
    }

    func testChannelCountsAndShapes() throws {
        try run([
            Case(name: "1->3", input: image(1, 6, 5), out: 3, batch: 1),
            Case(name: "3->1", input: image(3, 5, 6), out: 1, batch: 2),
            Case(name: "31->33", input: image(31, 5, 5), out: 33, batch: 2),
            Case(name: "32->32 no bias", input: image(32, 4, 4), out: 32, bias: false, batch: 5),
            Case(name: "33->31 s2", input: image(33, 5, 3), out: 31, stride: Pair(2), batch: 1),
            Case(name: "63->64", input: image(63, 3, 3), out: 64, batch: 2),
            Case(name: "64->65 1x1", input: image(64, 3, 4), out: 65, kernel: Pair(1), padding: Pair(0), batch: 2),
            Case(name: "65->63 s2", input: image(65, 3, 3), out: 63, stride: Pair(2), batch: 1),
        ])
    }

    func testGeometries() throws {
        try run([
            Case(name: "1x1 s1 (no im2col)", input: image(33, 7, 3), out: 31, kernel: Pair(1), padding: Pair(0), batch: 5),
            Case(name: "1x1 s2", input: image(8, 7, 7), out: 5, kernel: Pair(1), stride: Pair(2), padding: Pair(0)),
            Case(name: "3x3 s2 p1 (kernel > stride)", input: image(4, 7, 6), out: 6, stride: Pair(2), batch: 5),
            Case(name: "5x5 s3 p2", input: image(3, 9, 8), out: 4, kernel: Pair(5), stride: Pair(3), padding: Pair(2), batch: 1),
            Case(name: "2x2 s2 p0 (kernel = stride)", input: image(3, 6, 7), out: 4, kernel: Pair(2), stride: Pair(2), padding: Pair(0)),
            Case(name: "3x3 d2 p0", input: image(3, 7, 7), out: 3, padding: Pair(0), dilation: Pair(2)),
            Case(name: "3x3 s2 d3 p3", input: image(2, 9, 9), out: 3, stride: Pair(2), padding: Pair(3), dilation: Pair(3), batch: 5),
            Case(name: "3x1 s(1,2) p(1,0) d(2,1)", input: image(3, 7, 6), out: 4, kernel: Pair(3, 1), stride: Pair(1, 2),
                 padding: Pair(1, 0), dilation: Pair(2, 1)),
            Case(name: "1x3 s(2,1) p(0,1)", input: image(3, 6, 5), out: 2, kernel: Pair(1, 3), stride: Pair(2, 1), padding: Pair(0, 1), batch: 1),
            Case(name: "5x5 p2 on 3x3 (kernel > input)", input: image(2, 3, 3), out: 3, kernel: Pair(5), padding: Pair(2)),
            // Narrow maps with unit horizontal stride take im2col's padded-plane path, also with vertical stride and
            // dilation; 40 wide takes the segment path.
            Case(name: "3x3 s(2,1) p(2,1) d(2,1) (padded plane)", input: image(3, 9, 7), out: 4, stride: Pair(2, 1),
                 padding: Pair(2, 1), dilation: Pair(2, 1), batch: 5),
            Case(name: "3x3 p1 on 5x40 (segments)", input: image(2, 5, 40), out: 3, batch: 3),
        ])
    }

    func testGroupsAndDepthwise() throws {
        try run([
            Case(name: "groups 2", input: image(4, 5, 5), out: 6, groups: 2),
            Case(name: "groups 3 s2", input: image(6, 7, 5), out: 9, stride: Pair(2), groups: 3, batch: 5),
            Case(name: "depthwise 32", input: image(32, 5, 5), out: 32, groups: 32, batch: 2),
            Case(name: "depthwise 33 s2", input: image(33, 7, 7), out: 33, stride: Pair(2), groups: 33, bias: false, batch: 1),
            Case(name: "depthwise x2", input: image(3, 6, 6), out: 6, groups: 3),
            Case(name: "depthwise 5x5 p2", input: image(4, 6, 6), out: 4, kernel: Pair(5), padding: Pair(2), groups: 4, batch: 5),
        ])
    }

    /// Activations in the conv epilogue (fused) and as separate ops (unfused).
    func testFusedActivations() throws {
        try run([
            Case(name: "relu", input: image(3, 5, 5), out: 4, activation: .relu),
            Case(name: "leaky", input: image(3, 5, 4), out: 5, stride: Pair(2), activation: .leakyRelu(slope: 0.1), batch: 5),
            Case(name: "elu", input: image(2, 4, 5), out: 3, activation: .elu(alpha: 1), batch: 1),
            Case(name: "sigmoid", input: image(2, 4, 5), out: 3, groups: 1, activation: .sigmoid),
        ], fuse: [true, false])
    }
}
