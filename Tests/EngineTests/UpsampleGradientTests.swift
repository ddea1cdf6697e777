import XCTest
import NetIR
import Engine
import ReferenceBackend

/// Nearest and bilinear upsampling against finite differences: integer scales, non-integer size ratios (up and
/// down, where taps clamp at the border and bilinear weights are uneven), and a fan-out that accumulates.
final class UpsampleGradientTests: XCTestCase {
    func testUpsampling() throws {
        let cases: [(String, UpsampleAttributes)] = [
            ("nearest x2", UpsampleAttributes(scale: Pair(2))),
            ("nearest (2, 3)", UpsampleAttributes(scale: Pair(2, 3))),
            ("nearest to 7x5", UpsampleAttributes(size: Pair(7, 5))),
            ("bilinear x2", UpsampleAttributes(scale: Pair(2), bilinear: true)),
            ("bilinear to 7x9", UpsampleAttributes(size: Pair(7, 9), bilinear: true)),
            ("bilinear to 2x3 (down)", UpsampleAttributes(size: Pair(2, 3), bilinear: true)),
        ]
        for (name, a) in cases {
            let g = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
                let stem = try b.activation("act", try b.conv2d("stem", x, out: 3, kernel: 3, padding: 1), .tanh)
                return try b.add("up", .upsample(a), [stem])
            }
            try assertGradientsMatch(name, g, batches: [2])
        }
        let fanOut = try classifier(TensorShape(channels: 2, height: 3, width: 3)) { b, x in
            let stem = try b.activation("act", try b.conv2d("stem", x, out: 2, kernel: 1), .tanh)
            let up = try b.add("up", .upsample(UpsampleAttributes(scale: Pair(2), bilinear: true)), [stem])
            let again = try b.add("up2", .upsample(UpsampleAttributes(size: Pair(6, 6))), [stem])
            return try b.add("mul", .multiply, [up, again])
        }
        try assertGradientsMatch("two upsamplings of one tensor", fanOut)
    }
}
