import XCTest
import NetIR
import Engine

/// Pad (every mode, asymmetric), AdaptiveMaxPool2d and the alpha dropouts on OpenCL against the reference.
final class PadPoolTests: XCTestCase {
    func testPadsAdaptiveMaxAndAlphaDropout() throws {
        let graph = try singleLayer(input: TensorShape(channels: 3, height: 7, width: 9)) { b, x in
            let reflect = try b.add("reflect", .pad(PadAttributes(left: 2, right: 1, top: 1, bottom: 3, mode: .reflect)), [x])
            let replicate = try b.add("replicate", .pad(PadAttributes(left: 0, right: 3, top: 2, bottom: 1, mode: .replicate)), [reflect])
            let constant = try b.add("constant", .pad(PadAttributes(left: 1, right: 0, top: 0, bottom: 2, mode: .constant, value: 0.25)), [replicate])
            let dropped = try b.add("alpha", .alphaDropout(p: 0.2, feature: false), [constant])
            let features = try b.add("feature", .alphaDropout(p: 0.3, feature: true), [dropped])
            return try b.add("pool", .adaptiveMaxPool2d(outHeight: 8, outWidth: 1), [features])   // 16 x 13 -> 8 x 1
        }
        // padBackward sums up to a replicate corner's whole border block in Float; the 1x1 pre-conv sums 3 products.
        try compareWithReference(graph, batch: 3, tolerance: .accumulation)
    }

    func testCeilModePools() throws {
        for (max, include) in [(true, true), (false, true), (false, false)] {
            let a = Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(max ? 0 : 1), countIncludePad: include, ceilMode: true)
            let graph = try singleLayer(input: TensorShape(channels: 3, height: 8, width: 9)) { b, x in
                try b.add("pool", max ? .maxPool2d(a) : .avgPool2d(a), [x])
            }
            // Average windows sum up to 9 Float terms against the reference's Double sum.
            try compareWithReference(graph, batch: 3, tolerance: .accumulation)
        }
    }
}
