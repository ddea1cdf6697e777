import XCTest
import NetIR
import Engine
import CPUBackend
import OpTable

/// Every row of the op table on the CPU against the reference, each instruction within its (op, cpu) bound in
/// `Tolerances`; rows alternate between one and two threads (each parallel loop split two ways).
final class OpTableComparisonTests: XCTestCase {
    func check(_ family: OpFamily, file: StaticString = #filePath, line: UInt = #line) throws {
        for (k, row) in try OpTable.cases(family).enumerated() {
            let failures = try row.disagreements(candidate: CPUBackend(threads: 1 + k % 2), as: .cpu)
            XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"), file: file, line: line)
        }
    }

    /// Every family, so a new family or row needs no edit here; each failure names its row.
    func testEveryFamilyOfTheOpTable() throws {
        for family in OpFamily.allCases { try check(family) }
    }

    /// Equal values in a window: the argmax must be the first maximum in row-major order (compared bit for bit).
    func testMaxPoolTiesPickTheFirstMaximum() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 1, height: 6, width: 6))
        let c = try b.conv2d("stem", b.input, out: 2, kernel: 1)
        let p = try b.add("pool", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1))), [c])
        let g = try b.build(output: try b.linear("head", try b.flatten("flatten", p), out: 3))
        let plan = try PlanCompiler.compile(g, options: PlanOptions(batchSize: 2))
        var state = ExecutorState(plan: plan, seed: 5)
        state.regions[.input] = (0..<plan.inputCount).map { Float($0 % 3 == 0 ? 1 : 0) }
        let found = try compareInstructions(plan, train: true, state: state, learningRate: 0.05, candidate: CPUBackend(threads: 2), as: .cpu)
        XCTAssertTrue(found.isEmpty, "\(found)")
    }
}
