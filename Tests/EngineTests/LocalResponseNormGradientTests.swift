import XCTest
import NetIR
import Engine
@testable import ReferenceBackend

/// LocalResponseNorm (windows shorter than, equal to and longer than the channels; alpha large enough that the
/// cross-channel term matters) and F.normalize (over features and over the channels of an image) on the
/// reference against central finite differences, behind a stem so that dx reaches a parameter.
final class LocalResponseNormGradientTests: XCTestCase {
    func graph(_ input: TensorShape, _ layer: Layer) throws -> Graph {
        try classifier(input) { b, x in
            let stem = input.rank == 1 ? try b.linear("stem", x, out: input.count)
                                       : try b.conv2d("stem", x, out: input.channels, kernel: 3, padding: 1)
            return try b.add("norm", layer, [stem])
        }
    }

    func testLocalResponseNormGradients() throws {
        let image = TensorShape(channels: 4, height: 3, width: 4)
        for size in [1, 2, 3, 5, 9] {
            let a = LocalResponseNormAttributes(size: size, alpha: 0.8, beta: 0.75, k: 1)
            try assertGradientsMatch("LRN size \(size)", try graph(image, .localResponseNorm(a)))
        }
        try assertGradientsMatch("LRN k 2 beta 0.5", try graph(image, .localResponseNorm(LocalResponseNormAttributes(size: 2, alpha: 0.3, beta: 0.5, k: 2))))
    }

    func testNormalizeGradients() throws {
        try assertGradientsMatch("normalize features", try graph(TensorShape(features: 6), .l2Normalize(eps: 1e-12)))
        try assertGradientsMatch("normalize channels", try graph(TensorShape(channels: 3, height: 2, width: 3), .l2Normalize(eps: 1e-12)))
    }

    /// F.normalize's window holds every channel of every position, with D = eps² + ‖x‖².
    func testNormalizeGeometry() throws {
        let g = try XCTUnwrap(ChannelWindowGeometry(batch: 2, input: TensorShape(features: 5), layer: .l2Normalize(eps: 1e-12)))
        for c in 0..<5 { XCTAssertEqual(g.window(c), 0...4) }
        let y = Reference.localResponseNorm(g, x: [3, 0, 4, 0, 0, 0, 0, 0, 0, 0]).y
        XCTAssertEqual(y, [0.6, 0, 0.8, 0, 0, 0, 0, 0, 0, 0])   // a zero vector stays zero, as in PyTorch
        let lrn = try XCTUnwrap(ChannelWindowGeometry(batch: 1, input: TensorShape(channels: 6, height: 1, width: 1),
                                                      layer: .localResponseNorm(LocalResponseNormAttributes(size: 4))))
        XCTAssertEqual([lrn.window(0), lrn.window(3), lrn.window(5)], [0...1, 1...4, 3...5])   // c-2 ... c+1
    }
}
