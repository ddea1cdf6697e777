import Engine
import NetIR

/// conv2d and linear rows of the op table. The conv under test sits behind a 1x1 stem with tanh (so its
/// backward-data runs on a non-trivial gradient) and in front of a linear head.
extension OpTable {
    struct Conv {
        var name: String
        var input: TensorShape
        var out: Int
        var kernel = Pair(3), stride = Pair(1), padding = Pair(1), dilation = Pair(1)
        var groups = 1
        var bias = true
        var activation: Activation?
        var batches = [2]
        var fuse = [true]
    }

    static func convolution(_ c: Conv) throws -> OpCase {
        var b = NetworkBuilder(input: c.input)
        let stem = try b.activation("stem_act", try b.conv2d("stem", b.input, out: c.input.channels, kernel: 1), .tanh)
        let a = Conv2dAttributes(inChannels: c.input.channels, outChannels: c.out, kernel: c.kernel, stride: c.stride,
                                 padding: c.padding, dilation: c.dilation, groups: c.groups, bias: c.bias)
        var y = try b.add("conv", .conv2d(a), [stem])
        if let act = c.activation { y = try b.activation("act", y, act) }
        let graph = try b.build(output: try b.linear("head", try b.flatten("flatten", y), out: 3))
        return OpCase(.convolution, "conv \(c.name)", graph, batches: c.batches, fuse: c.fuse)
    }

    static func convolutionCases() throws -> [OpCase] {
        let counts = [1, 3, 31, 32, 33, 63, 64, 65]
        // Every channel count of the sweep at every batch size.
        let sweep = counts.enumerated().map { k, c in
            Conv(name: "\(c)->\(counts[(k + 3) % counts.count]) s\(1 + k % 2)", input: image(c, 4, 3),
                 out: counts[(k + 3) % counts.count], stride: Pair(1 + k % 2), batches: [1, 2, 5])
        }
        let shapes = [
            Conv(name: "1->3", input: image(1, 6, 5), out: 3, batches: [1]),
            Conv(name: "3->1", input: image(3, 5, 6), out: 1),
            Conv(name: "31->33", input: image(31, 5, 5), out: 33),
            Conv(name: "32->32 no bias", input: image(32, 4, 4), out: 32, bias: false, batches: [5]),
            Conv(name: "33->31 s2", input: image(33, 5, 3), out: 31, stride: Pair(2), batches: [1]),
            Conv(name: "63->64", input: image(63, 3, 3), out: 64),
            Conv(name: "64->65 1x1", input: image(64, 3, 4), out: 65, kernel: Pair(1), padding: Pair(0)),
            Conv(name: "65->63 s2", input: image(65, 3, 3), out: 63, stride: Pair(2), batches: [1]),
        ]
        let geometries = [
            Conv(name: "1x1 s1 (no im2col)", input: image(33, 7, 3), out: 31, kernel: Pair(1), padding: Pair(0), batches: [5]),
            Conv(name: "1x1 s2", input: image(8, 7, 7), out: 5, kernel: Pair(1), stride: Pair(2), padding: Pair(0)),
            Conv(name: "3x3 s2 p1 (kernel > stride)", input: image(4, 7, 6), out: 6, stride: Pair(2), batches: [5]),
            Conv(name: "5x5 s3 p2", input: image(3, 9, 8), out: 4, kernel: Pair(5), stride: Pair(3), padding: Pair(2), batches: [1]),
            Conv(name: "2x2 s2 p0 (kernel = stride)", input: image(3, 6, 7), out: 4, kernel: Pair(2), stride: Pair(2), padding: Pair(0)),
            Conv(name: "3x3 d2 p0", input: image(3, 7, 7), out: 3, padding: Pair(0), dilation: Pair(2)),
            Conv(name: "3x3 s2 d3 p3", input: image(2, 9, 9), out: 3, stride: Pair(2), padding: Pair(3), dilation: Pair(3), batches: [5]),
            Conv(name: "3x1 s(1,2) p(1,0) d(2,1)", input: image(3, 7, 6), out: 4, kernel: Pair(3, 1), stride: Pair(1, 2),
                 padding: Pair(1, 0), dilation: Pair(2, 1)),
            Conv(name: "1x3 s(2,1) p(0,1)", input: image(3, 6, 5), out: 2, kernel: Pair(1, 3), stride: Pair(2, 1), padding: Pair(0, 1), batches: [1]),
            Conv(name: "5x5 p2 on 3x3 (kernel > input)", input: image(2, 3, 3), out: 3, kernel: Pair(5), padding: Pair(2)),
            // Narrow maps with unit horizontal stride take the CPU im2col's padded-plane path, also with vertical
            // stride and dilation; 40 wide takes the segment path.
            Conv(name: "3x3 s(2,1) p(2,1) d(2,1) (padded plane)", input: image(3, 9, 7), out: 4, stride: Pair(2, 1),
                 padding: Pair(2, 1), dilation: Pair(2, 1), batches: [5]),
            Conv(name: "3x3 p1 on 5x40 (segments)", input: image(2, 5, 40), out: 3, batches: [3]),
            // K = batch x 16 x 16 = 768 splits OpenCL's backward-filter GEMM into slices on small devices.
            Conv(name: "3x3 p1 on 16x16 (split K)", input: image(3, 16, 16), out: 4, batches: [3]),
            // 3x3 stride-1 convolutions with >= 16 channels in and out and >= 8 samples per worker take the CPU's
            // Winograd F(2x2,3x3) forward, backward-data and weight gradient: partial tiles at odd sizes, four-tile
            // vector paths at >= 8 wide, the transposed geometry's padding 0 and 2, the fused epilogue, no bias, and
            // batches of 8 and 16 (one or two workers; several chunks per worker, the last partial, on 11x11).
            Conv(name: "3x3 16->16 on 9x10 (Winograd, partial tiles)", input: image(16, 9, 10), out: 16, batches: [16]),
            Conv(name: "3x3 32->17 p2 on 8x12 (Winograd, padding 2)", input: image(32, 8, 12), out: 17, padding: Pair(2),
                 batches: [8, 16]),
            Conv(name: "3x3 20->24 p0 on 12x11 (Winograd, no padding)", input: image(20, 12, 11), out: 24, padding: Pair(0),
                 bias: false, batches: [16]),
            Conv(name: "3x3 16->16 + relu on 8x8 (Winograd epilogue)", input: image(16, 8, 8), out: 16, activation: .relu,
                 batches: [16], fuse: [true, false]),
            Conv(name: "3x3 16->16 on 11x11 (Winograd, chunks of 7 samples, the last partial)", input: image(16, 11, 11), out: 16,
                 batches: [16]),
            // Stride-1 convolutions with a patch of at most 32 and >= 4 outputs >= 8 wide take the CPU's direct AVX2
            // kernels on a batch split (where the CPU has AVX2+FMA): output-channel blocks of 4 (forward) and 8 (weight
            // gradient) with single-channel remainders, 16-column chunks with partial tails, padding 0-2, 5x5.
            Conv(name: "3x3 1->32 on 28x28 (direct, smallcnn's conv1)", input: image(1, 28, 28), out: 32, batches: [2]),
            Conv(name: "3x3 3->14 on 11x13 (direct, remainders and a tail)", input: image(3, 11, 13), out: 14, batches: [2, 5]),
            Conv(name: "5x5 1->5 p2 on 9x20 (direct, a full chunk and a tail)", input: image(1, 9, 20), out: 5, kernel: Pair(5),
                 padding: Pair(2), batches: [3]),
            Conv(name: "3x3 2->9 p0 on 10x10 + relu (direct, no padding, 8 wide)", input: image(2, 10, 10), out: 9,
                 padding: Pair(0), activation: .relu, batches: [4], fuse: [true, false]),
            // Backward-data through a column matrix with >= 128 output positions runs its product on the CPU's
            // small-K loops (transposed weights packed first): strided, and grouped at batch 1.
            Conv(name: "3x3 s2 3->5 on 24x26 (col2im, small-K product)", input: image(3, 24, 26), out: 5, stride: Pair(2),
                 batches: [2]),
            Conv(name: "groups 2 on 16x16 (col2im, small-K product)", input: image(4, 16, 16), out: 6, groups: 2, batches: [1]),
        ]
        let groups = [
            Conv(name: "groups 2", input: image(4, 5, 5), out: 6, groups: 2),
            Conv(name: "groups 3 s2", input: image(6, 7, 5), out: 9, stride: Pair(2), groups: 3, batches: [5]),
            Conv(name: "depthwise 32", input: image(32, 5, 5), out: 32, groups: 32),
            Conv(name: "depthwise 33 s2", input: image(33, 7, 7), out: 33, stride: Pair(2), groups: 33, bias: false, batches: [1]),
            Conv(name: "depthwise x2", input: image(3, 6, 6), out: 6, groups: 3),
            Conv(name: "depthwise 5x5 p2", input: image(4, 6, 6), out: 4, kernel: Pair(5), padding: Pair(2), groups: 4, batches: [5]),
        ]
        // Every activation that may fuse into the conv epilogue (and gelu, which may not), fused and unfused.
        let fused = ([Activation.gelu] + Activation.examples.filter(\.differentiableFromOutput)).enumerated().map { k, act in
            Conv(name: "+ \(act)", input: image(2 + k % 2, 5, 4), out: 3 + k % 3, stride: Pair(1 + k % 2), activation: act,
                 batches: [[1, 2, 5][k % 3]], fuse: [true, false])
        }
        return try (sweep + shapes + geometries + groups + fused).map(convolution)
    }

    static func linearCases() throws -> [OpCase] {
        let counts = [1, 3, 31, 32, 33, 63, 64, 65]
        let sizes = counts.flatMap { i in counts.map { (i, $0) } }
        return try sizes.enumerated().map { k, size in
            let (inF, outF) = size
            let g = try classifier(TensorShape(features: inF)) { b, x in
                let stem = try b.activation("stem_act", try b.linear("stem", x, out: inF), .tanh)
                return try b.linear("fc", stem, out: outF, bias: k % 3 != 1)
            }
            return OpCase(.linear, "linear \(inF)->\(outF)", g, batches: [[1, 2, 5][(k + k / 8) % 3]], fuse: [true])
        }
    }
}
