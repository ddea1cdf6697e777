import XCTest
import NetIR
import Engine
import ReferenceBackend

/// Mul (equal shapes and per-channel gates) and Affine against finite differences.
final class ArithmeticGradientTests: XCTestCase {
    func testSqueezeExcitationGate() throws {
        let g = try classifier(TensorShape(channels: 2, height: 4, width: 5)) { b, x in
            let stem = try b.activation("act", try b.conv2d("stem", x, out: 3, kernel: 3, padding: 1), .tanh)
            let squeezed = try b.add("pool", .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), [stem])
            let gate = try b.activation("gate", try b.conv2d("excite", squeezed, out: 3, kernel: 1), .sigmoid)
            return try b.add("mul", .multiply, [stem, gate])
        }
        try assertGradientsMatch("squeeze-excitation gate", g)
    }

    /// The Linear form of squeeze-excitation: pool, view to [C], Linear, sigmoid, view to [C, 1, 1], gate.
    func testViewsAroundALinearGate() throws {
        let g = try classifier(TensorShape(channels: 2, height: 4, width: 5)) { b, x in
            let stem = try b.activation("act", try b.conv2d("stem", x, out: 3, kernel: 3, padding: 1), .tanh)
            let pooled = try b.add("view1", .reshape(dims: [3]), [try b.add("pool", .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), [stem])])
            let gate = try b.add("view2", .reshape(dims: [3, 1, 1]), [try b.activation("gate", try b.linear("fc", pooled, out: 3), .sigmoid)])
            return try b.add("mul", .multiply, [stem, gate])
        }
        try assertGradientsMatch("view, linear gate, view, mul", g)
    }

    /// Dropout2d (composed: mask over (sample, channel), per-row product) at a fixed step, and p = 0.
    func testDropout2d() throws {
        for p: Float in [0, 0.4] {
            let g = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
                try b.add("drop", .dropout2d(p: p), [try b.activation("act", try b.conv2d("stem", x, out: 5, kernel: 3, padding: 1), .tanh)])
            }
            try assertGradientsMatch("dropout2d \(p)", g, dropoutStep: 5)
        }
    }

    func testEqualShapesSquareAndAffine() throws {
        let square = try classifier(TensorShape(features: 5)) { b, x in
            let h = try b.activation("act", try b.linear("fc", x, out: 4), .tanh)
            return try b.add("mul", .multiply, [h, h])
        }
        try assertGradientsMatch("x * x", square)
        let twoBranches = try classifier(TensorShape(features: 5)) { b, x in
            let p = try b.linear("p", x, out: 4), q = try b.linear("q", x, out: 4)
            let scaled = try b.add("affine", .affine(scale: -0.75, shift: 0.5), [q])
            return try b.add("mul", .multiply, [p, try b.add("sub", .add, [q, scaled])])
        }
        try assertGradientsMatch("p * (q + (-0.75 q + 0.5))", twoBranches)
    }
}
