import XCTest
import NetIR
import Engine

/// Channel slices on OpenCL against the reference.
final class ViewTests: XCTestCase {
    func testChannelSlices() throws {
        let graph = try singleLayer(input: TensorShape(channels: 7, height: 5, width: 6)) { b, x in
            let low = try b.add("low", .slice(start: 0, count: 3), [x])
            let high = try b.add("high", .slice(start: 4, count: 3), [x])
            let middle = try b.add("middle", .slice(start: 2, count: 3), [x])
            return try b.add("sum", .add, [try b.add("mul", .multiply, [low, high]), middle])
        }
        // Slices are copies and fills; the product and the head's GEMM are what round.
        try compareWithReference(graph, batch: 3, tolerance: .accumulation)
    }
}
