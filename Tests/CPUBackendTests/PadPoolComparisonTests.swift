import XCTest
import NetIR
import Engine
import CPUBackend

/// Pad (every mode), AdaptiveMaxPool2d and the alpha dropouts on the CPU against the reference (tolerances:
/// Tolerance.of; padBackward is `smallSums`, several outputs adding into one input).
final class PadPoolComparisonTests: XCTestCase {
    func testPadsAdaptiveMaxAndAlphaDropout() throws {
        for threads in [1, 2] {
            var b = NetworkBuilder(input: TensorShape(channels: 3, height: 7, width: 9))
            let stem = try b.conv2d("stem", b.input, out: 4, kernel: 3, padding: 1)
            let reflect = try b.add("reflect", .pad(PadAttributes(left: 2, right: 1, top: 1, bottom: 3, mode: .reflect)), [stem])
            let replicate = try b.add("replicate", .pad(PadAttributes(left: 0, right: 3, top: 2, bottom: 1, mode: .replicate)), [reflect])
            let constant = try b.add("constant", .pad(PadAttributes(left: 1, right: 0, top: 0, bottom: 2, mode: .constant, value: 0.25)), [replicate])
            let conv = try b.conv2d("conv", constant, out: 4, kernel: 3)                        // 16 x 13 -> 14 x 11
            let dropped = try b.add("alpha", .alphaDropout(p: 0.2, feature: false), [conv])
            let features = try b.add("feature", .alphaDropout(p: 0.3, feature: true), [dropped])
            let pooled = try b.add("pool", .adaptiveMaxPool2d(outHeight: 7, outWidth: 1), [features])
            let graph = try b.build(output: try b.linear("head", try b.flatten("flatten", pooled), out: 3))
            try assertBackendsAgree("pads, alpha dropouts, adaptive max (\(threads) threads)", graph, batches: [1, 3],
                                    candidate: CPUBackend(threads: threads))
        }
    }

    /// ceil_mode pools on odd sizes (the 2x2 fast path must not take a window past the input).
    func testCeilModePools() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 3, height: 7, width: 9))
        let stem = try b.conv2d("stem", b.input, out: 4, kernel: 1)
        let max2 = try b.add("max2", .maxPool2d(Pool2dAttributes(kernel: Pair(2), ceilMode: true)), [stem])             // 4 x 5
        let avg = try b.add("avg", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1), ceilMode: true)), [max2])
        let max3 = try b.add("max3", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), ceilMode: true)), [stem])
        let avgEx = try b.add("avgEx", .avgPool2d(Pool2dAttributes(kernel: Pair(2), countIncludePad: false, ceilMode: true)), [max3])
        let head = try b.add("cat", .concat, [try b.flatten("f1", avg), try b.flatten("f2", avgEx)])
        let graph = try b.build(output: try b.linear("head", head, out: 3))
        try assertBackendsAgree("ceil_mode pools", graph, batches: [1, 3], candidate: CPUBackend(threads: 2))
    }
}
