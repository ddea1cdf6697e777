import XCTest
import NetIR
import Engine
import ReferenceBackend

/// PReLU (one slope, one per channel, on images and on features) on the reference against central finite
/// differences, behind a stem so that dx reaches a parameter; a fan-out accumulates into both gradients.
final class PReLUGradientTests: XCTestCase {
    func testPReLUGradients() throws {
        let image = TensorShape(channels: 3, height: 4, width: 5)
        for slopes in [1, 3] {
            let g = try classifier(image) { b, x in
                try b.add("prelu", .prelu(slopes: slopes), [try b.conv2d("stem", x, out: 3, kernel: 3, padding: 1)])
            }
            try assertGradientsMatch("PReLU \(slopes) on \(image)", g)
        }
        let features = try classifier(TensorShape(features: 6)) { b, x in
            let h = try b.linear("stem", x, out: 6)
            let y = try b.add("prelu", .prelu(slopes: 6), [h])
            return try b.addValues("skip", try b.add("again", .prelu(slopes: 6), [y], module: "prelu"), h)
        }
        try assertGradientsMatch("PReLU per feature, shared and fanned out", features)
    }

    func testSlopesStartAtPyTorchsInit() throws {
        let g = try classifier(TensorShape(features: 4)) { b, x in try b.add("act", .prelu(slopes: 4), [try b.linear("fc", x, out: 4)]) }
        let plan = try PlanCompiler.compile(g, options: PlanOptions(batchSize: 1))
        let slot = try XCTUnwrap(plan.parameterSlots.first { $0.name == "act.weight" })
        XCTAssertEqual(Array(plan.initialParameters(seed: 1)[slot.offset..<(slot.offset + slot.count)]), [0.25, 0.25, 0.25, 0.25])
        XCTAssertThrowsError(try classifier(TensorShape(channels: 3, height: 2, width: 2)) { b, x in try b.add("act", .prelu(slopes: 2), [x]) })
    }
}
