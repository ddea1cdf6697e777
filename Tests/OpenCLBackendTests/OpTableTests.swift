import XCTest
import Engine
import NetIR
import OpTable
@testable import OpenCLBackend

/// Every row of the op table on OpenCL against the reference, forward and every gradient, each instruction
/// within its (op, openCL) bound in `Tolerances`, then whole train steps.
final class OpTableTests: XCTestCase {
    func check(_ family: OpFamily, file: StaticString = #filePath, line: UInt = #line) throws {
        let backend = OpenCLBackend(device: try TestDevice.require(), tune: false)
        for row in try OpTable.cases(family) {
            let failures = try row.disagreements(candidate: backend, as: .openCL)
            XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"), file: file, line: line)
        }
    }

    /// Every family, so a new family or row needs no edit here; each failure names its row.
    func testEveryFamilyOfTheOpTable() throws {
        for family in OpFamily.allCases { try check(family) }
    }
}
