import XCTest
import NetIR
import Engine
@testable import ReferenceBackend

/// Pad (every mode, asymmetric), AdaptiveMaxPool2d and the alpha dropouts on the reference: gradients against
/// finite differences, Pad's values against PyTorch's, the alpha dropout formula against PyTorch's.
final class PadPoolGradientTests: XCTestCase {
    static let pads: [(String, PadAttributes)] = [
        ("constant -0.5 (1, 2, 0, 1)", PadAttributes(left: 1, right: 2, top: 0, bottom: 1, mode: .constant, value: -0.5)),
        ("reflect (2, 1, 1, 2)", PadAttributes(left: 2, right: 1, top: 1, bottom: 2, mode: .reflect)),
        ("replicate (3, 0, 2, 1)", PadAttributes(left: 3, right: 0, top: 2, bottom: 1, mode: .replicate)),
        ("zeros 1", PadAttributes(1)),
    ]

    func testPadGradients() throws {
        for (name, a) in Self.pads {
            let g = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
                let stem = try b.activation("act", try b.conv2d("stem", x, out: 2, kernel: 1), .tanh)
                return try b.conv2d("conv", try b.add("pad", .pad(a), [stem]), out: 2, kernel: 3)
            }
            try assertGradientsMatch("pad \(name)", g)
        }
    }

    /// F.pad of a 3x4 ramp and the gradient of sum(F.pad(x) * ramp), as PyTorch 2.x computes them.
    func testPadMatchesPyTorch() {
        let x = (0..<12).map(Float.init)
        let cases: [(PadAttributes, y: [Float], dx: [Float])] = [
            (Self.pads[1].1,
             [6, 5, 4, 5, 6, 7, 6, 2, 1, 0, 1, 2, 3, 2, 6, 5, 4, 5, 6, 7, 6, 10, 9, 8, 9, 10, 11, 10, 6, 5, 4, 5, 6, 7, 6,
              2, 1, 0, 1, 2, 3, 2],
             [46, 92, 146, 52, 48, 96, 156, 57, 23, 46, 73, 26]),
            (Self.pads[2].1,
             [0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4, 5, 6, 7, 8, 8, 8, 8, 9, 10, 11,
              8, 8, 8, 8, 9, 10, 11],
             [102, 33, 36, 39, 90, 25, 26, 27, 264, 71, 73, 75]),
            (Self.pads[0].1,
             [-0.5, 0, 1, 2, 3, -0.5, -0.5, -0.5, 4, 5, 6, 7, -0.5, -0.5, -0.5, 8, 9, 10, 11, -0.5, -0.5, -0.5, -0.5, -0.5,
              -0.5, -0.5, -0.5, -0.5],
             [1, 2, 3, 4, 8, 9, 10, 11, 15, 16, 17, 18]),
        ]
        for (a, y, dx) in cases {
            let g = PadGeometry(batch: 1, input: TensorShape(channels: 1, height: 3, width: 4), attributes: a)
            XCTAssertEqual(Reference.pad(g, x: x), y, "\(a)")
            XCTAssertEqual(Reference.padBackward(g, dy: (0..<y.count).map(Float.init)), dx, "\(a)")
        }
    }

    func testAdaptiveMaxPoolGradients() throws {
        for (oh, ow) in [(2, 3), (1, 1), (4, 2)] {
            let g = try classifier(TensorShape(channels: 2, height: 4, width: 6)) { b, x in
                let stem = try b.activation("act", try b.conv2d("stem", x, out: 3, kernel: 1), .tanh)
                return try b.add("pool", .adaptiveMaxPool2d(outHeight: oh, outWidth: ow), [stem])
            }
            try assertGradientsMatch("adaptive max 4x6 -> \(oh)x\(ow)", g)
        }
    }

    func testAdaptiveMaxPoolRefusesSizesThatDoNotDivide() {
        var b = NetworkBuilder(input: TensorShape(channels: 2, height: 5, width: 6))
        XCTAssertThrowsError(try b.add("pool", .adaptiveMaxPool2d(outHeight: 2, outWidth: 3), [b.input])) {
            XCTAssertTrue("\($0)".contains("must divide"), "\($0)")
        }
    }

    func testAlphaDropoutGradients() throws {
        for feature in [false, true] {
            for p: Float in [0, 0.3] {
                let g = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
                    let stem = try b.activation("act", try b.conv2d("stem", x, out: 4, kernel: 3, padding: 1), .tanh)
                    return try b.add("drop", .alphaDropout(p: p, feature: feature), [stem])
                }
                try assertGradientsMatch("alpha dropout p \(p) feature \(feature)", g, dropoutStep: 5)
            }
        }
    }

    /// PyTorch's alpha dropout: a kept x becomes a·x + a·α'·p, a dropped one -a·α'·(1-p), with
    /// a = 1/√((α'²p + 1)(1-p)); eval is the identity. Every output must be one of the two, both must occur, and
    /// FeatureAlphaDropout must drop whole channels.
    func testAlphaDropoutFollowsPyTorchsFormula() throws {
        let p: Float = 0.4, alpha = 1.7580993408473766
        let a = 1 / ((alpha * alpha * Double(p) + 1) * (1 - Double(p))).squareRoot()
        for feature in [false, true] {
            var b = NetworkBuilder(input: TensorShape(channels: 6, height: 2, width: 5))
            let y = try b.flatten("flat", try b.add("drop", .alphaDropout(p: p, feature: feature), [b.input]))
            let plan = try PlanCompiler.compile(try b.build(output: y), options: PlanOptions(batchSize: 4))
            let e = try ReferenceBackend().load(plan)
            e.seed = 99
            let x = (0..<plan.inputCount).map { Float(sin(Double($0) * 0.7)) }
            let labels = [Int32](repeating: 0, count: 4)
            x.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { e.setBatch(images: i, labels: $0) } }
            e.trainStep(learningRate: 0)
            let out = e.outputs()
            var kept = [Bool]()
            for (k, v) in out.enumerated() {
                let keep = a * Double(x[k]) + a * alpha * Double(p), drop = -a * alpha * (1 - Double(p))
                let isKept = abs(Double(v) - keep) <= 1e-6 * max(1, abs(keep))
                XCTAssertTrue(isKept || abs(Double(v) - drop) <= 1e-6, "element \(k): \(v) is neither \(keep) nor \(drop)")
                kept.append(isKept)
            }
            XCTAssertTrue(kept.contains(true) && kept.contains(false), "feature \(feature): no mix of kept and dropped")
            if feature {
                for plane in 0..<(4 * 6) { XCTAssertEqual(Set(kept[(plane * 10)..<(plane * 10 + 10)]).count, 1, "plane \(plane)") }
            }
            e.evalStep()
            XCTAssertEqual(e.outputs(), x, "eval is the identity")
        }
    }

    /// ceil_mode=True pools of a 6x7 ramp as PyTorch 2.x computes them: the extra window runs past the input,
    /// its average divides by the positions inside the padded input (count_include_pad) or inside the input.
    func testCeilModePoolsMatchPyTorch() throws {
        let x = (0..<42).map(Float.init), input = TensorShape(channels: 1, height: 6, width: 7)
        let cases: [(k: Int, s: Int, p: Int, include: [Float], exclude: [Float], max: [Float])] = [
            (3, 2, 1,
             [1.777778, 3.666667, 5, 4, 9.666667, 16, 18, 13, 19, 30, 32, 22.333334, 11.833333, 18.5, 19.5, 13.5],
             [4, 5.5, 7.5, 9, 14.5, 16, 18, 19.5, 28.5, 30, 32, 33.5, 35.5, 37, 39, 40.5],
             [8, 10, 12, 13, 22, 24, 26, 27, 36, 38, 40, 41, 36, 38, 40, 41]),
            (2, 2, 0, [4, 6, 8, 9.5, 18, 20, 22, 23.5, 32, 34, 36, 37.5], [4, 6, 8, 9.5, 18, 20, 22, 23.5, 32, 34, 36, 37.5],
             [8, 10, 12, 13, 22, 24, 26, 27, 36, 38, 40, 41]),
            (3, 2, 0, [8, 10, 12, 22, 24, 26, 32.5, 34.5, 36.5], [8, 10, 12, 22, 24, 26, 32.5, 34.5, 36.5],
             [16, 18, 20, 30, 32, 34, 37, 39, 41]),
        ]
        for c in cases {
            for include in [true, false] {
                let a = Pool2dAttributes(kernel: Pair(c.k), stride: Pair(c.s), padding: Pair(c.p), countIncludePad: include, ceilMode: true)
                var b = NetworkBuilder(input: input)
                let y = try b.add("pool", .avgPool2d(a), [b.input])
                let g = PoolGeometry(batch: 1, input: input, output: b.shape(of: y), attributes: a)
                let got = Reference.avgPool(g, x: x), want = include ? c.include : c.exclude
                XCTAssertEqual(got.count, want.count, "k\(c.k) s\(c.s) p\(c.p)")
                for (u, v) in zip(got, want) { XCTAssertEqual(Double(u), Double(v), accuracy: 1e-5, "avg k\(c.k) s\(c.s) p\(c.p) include \(include)") }
                XCTAssertEqual(Reference.maxPool(g, x: x).y, c.max, "max k\(c.k) s\(c.s) p\(c.p)")
            }
        }
        // The last window must start inside the input or its left padding: 5 wide, k2 s2 p1 stays at 3.
        XCTAssertEqual(Pool2dAttributes.outputSize(input: 5, kernel: 2, stride: 2, padding: 1, ceilMode: true), 3)
        XCTAssertEqual(Pool2dAttributes.outputSize(input: 6, kernel: 3, stride: 2, padding: 0, ceilMode: true), 3)
        XCTAssertEqual(Pool2dAttributes.outputSize(input: 6, kernel: 3, stride: 2, padding: 0, ceilMode: false), 2)
    }

    func testCeilModePoolGradients() throws {
        let pools: [(String, Layer)] = [
            ("maxPool k3 s2 ceil", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), ceilMode: true))),
            ("maxPool k2 ceil", .maxPool2d(Pool2dAttributes(kernel: Pair(2), ceilMode: true))),
            ("avgPool k3 s2 p1 ceil include pad", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1), ceilMode: true))),
            ("avgPool k2 ceil exclude pad", .avgPool2d(Pool2dAttributes(kernel: Pair(2), countIncludePad: false, ceilMode: true))),
        ]
        for (name, layer) in pools {
            let g = try classifier(TensorShape(channels: 2, height: 5, width: 6)) { b, x in
                try b.add("pool", layer, [try b.activation("act", try b.conv2d("stem", x, out: 3, kernel: 1), .tanh)])
            }
            try assertGradientsMatch(name, g)
        }
    }
}
