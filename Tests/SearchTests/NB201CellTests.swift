import Foundation
import XCTest
@testable import Search

final class NB201CellTests: XCTestCase {
    static let best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"

    func testStringRoundTripAndIndex() throws {
        let cell = try NB201Cell(string: Self.best)
        XCTAssertEqual(cell.description, Self.best)
        XCTAssertEqual(cell.op(to: 3, from: 0), .skipConnect)
        XCTAssertEqual(cell.op(to: 3, from: 2), .conv1x1)
        XCTAssertEqual(NB201Cell(index: cell.index), cell)
        let all = NB201Cell.all
        XCTAssertEqual(Set(all.map(\.description)).count, NB201Cell.count)
        XCTAssertEqual(all.map(\.index), Array(0..<NB201Cell.count))
    }

    func testMalformedStringsAreNamed() {
        for bad in ["", "|none~0|", "|none~0|+|none~0|none~1|+|none~0|none~1|", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
                    "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "|none~0|+|none~0|+|none~0|none~1|none~2|"] {
            XCTAssertThrowsError(try NB201Cell(string: bad), bad)
        }
    }

    func testNeighboursAndConnectivity() throws {
        let cell = try NB201Cell(string: Self.best)
        let n = cell.neighbours
        XCTAssertEqual(n.count, 24)
        XCTAssertEqual(Set(n).count, 24)
        XCTAssertTrue(n.allSatisfy { zip($0.ops, cell.ops).filter { $0 != $1 }.count == 1 })
        var rng = SearchRandom(seed: 3)
        for _ in 0..<50 { XCTAssertTrue(n.contains(cell.mutated(rng: &rng))) }
        XCTAssertTrue(cell.isConnected)
        // Only 1<-0 and 3<-2 are live; 2 is unreachable, so the output is cut off.
        let cut = try NB201Cell(string: "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|")
        XCTAssertFalse(cut.isConnected)
        XCTAssertEqual(cut.live, [true, true, false, false])
    }

    func testSharedTablesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.deletingLastPathComponent().appendingPathComponent("shared/nb201/cifar10.json").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("no NAS-Bench-201 table at \(path)") }
        let table = try NB201Table(contentsOf: path)
        XCTAssertEqual(table.cellCount, NB201Cell.count)
        let r = try XCTUnwrap(table.result(for: NB201Cell(string: Self.best)))
        XCTAssertEqual(r.testAccuracy, 94.37333333333333, accuracy: 1e-9)
        XCTAssertEqual(r.rank, 2)
    }

    func testCorruptTableIsNamed() throws {
        let path = NSTemporaryDirectory() + "nb201-bad-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": {"val_acc_200": "x"}}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try NB201Table(contentsOf: path)) { XCTAssertTrue("\($0)".contains("val_acc_200")) }
        try Data("[1,2]".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try NB201Table(contentsOf: path))
    }
}

final class NB201EditTests: XCTestCase {
    func testEveryInstructionMakesANewCellOfItsKind() throws {
        var rng = SearchRandom(seed: 11)
        for _ in 0..<200 {
            let parent = NB201Cell.random(rng: &rng)
            for instruction in MutationInstruction.allCases {
                let (child, note) = parent.edited(by: instruction, rng: &rng)
                XCTAssertNotEqual(child, parent, "\(instruction) on \(parent)")
                XCTAssertFalse(note.isEmpty)
                if instruction == .addConvolution, parent.ops.contains(where: { $0 != .conv3x3 }) {
                    XCTAssertGreaterThan(child.ops.filter { $0 == .conv3x3 }.count, parent.ops.filter { $0 == .conv3x3 }.count)
                }
                if instruction == .addResidual, parent.ops.contains(where: { $0 != .skipConnect }) {
                    XCTAssertGreaterThan(child.ops.filter { $0 == .skipConnect }.count, parent.ops.filter { $0 == .skipConnect }.count)
                }
            }
            let other = NB201Cell.random(rng: &rng)
            let child = NB201Cell.crossover(parent, other, rng: &rng)
            XCTAssertNotEqual(child, parent)
            XCTAssertNotEqual(child, other)
        }
    }
}
