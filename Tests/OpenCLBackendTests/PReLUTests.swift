import XCTest
import NetIR
import Engine

/// PReLU (Kernels/prelu.cl) against the reference. Tolerance `.accumulation`: dSlopes is a work-group Float sum
/// over batch × spatial (or everything, for one slope), in another order than the reference's Double sum.
final class PReLUTests: XCTestCase {
    func testPReLU() throws {
        for (shape, slopes, batch) in [(TensorShape(channels: 8, height: 5, width: 3), 1, 3), (TensorShape(channels: 33, height: 3, width: 5), 33, 2)] {
            try compareWithReference(singleLayer(input: shape) { b, x in try b.add("prelu", .prelu(slopes: slopes), [x]) },
                                     batch: batch, tolerance: .accumulation, steps: 2)
        }
    }
}
