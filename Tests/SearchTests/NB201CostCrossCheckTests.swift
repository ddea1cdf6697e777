import Foundation
import NetCode
import NetIR
import XCTest
@testable import Search

/// Two independent routes to a cell network's cost must agree: the closed form the table search uses for its
/// descriptors (`NB201Cell.networkCost`) and NetIR's cost of the emitted PyTorch source after NetCode parsed it
/// (what `llmatic search --space nb201` computes). If they drifted, the bench and the search would place the
/// same cell in different niches.
final class NB201CostCrossCheckTests: XCTestCase {
    func testClosedFormEqualsTheParsedSourceForASampleOfCells() throws {
        var rng = SearchRandom(seed: 2026, 12)
        var checked = 0
        for (skeleton, input) in [(NB201Skeleton(), TensorShape(channels: 3, height: 32, width: 32)),
                                  (NB201Skeleton(imageSize: 16, classes: 120), TensorShape(channels: 3, height: 16, width: 16))] {
            var n = 0
            while n < 15 {
                let cell = NB201Cell.random(rng: &rng)
                // The emitter writes only edges that can reach the output; the closed form counts every present
                // edge (PyTorch has them). They describe the same network exactly when nothing is dropped.
                guard cell.isConnected, cell.canonical == cell else { continue }
                n += 1
                let source = try NB201Network(cell: cell, inputChannels: 3, classes: skeleton.classes).source()
                let parsed = try NetworkSource.parse(source, file: "nb201.py", input: input).graph.cost()
                let closed = cell.networkCost(skeleton)
                XCTAssertEqual(parsed.parameters, closed.parameters, "\(cell) parameters")
                XCTAssertEqual(parsed.flops, closed.flops, "\(cell) FLOPs")
                XCTAssertEqual(parsed.depth, closed.depth, "\(cell) depth")
                XCTAssertEqual(parsed.width, closed.width, "\(cell) width")
                let config = SearchConfig(data: "x")
                XCTAssertEqual(config.descriptors.descriptor(parsed), config.descriptors.descriptor(closed), "\(cell) descriptor")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 30)
    }
}
