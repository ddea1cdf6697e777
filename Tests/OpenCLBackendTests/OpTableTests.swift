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

    func testConvolution() throws { try check(.convolution) }
    func testLinear() throws { try check(.linear) }
    func testBatchNorm() throws { try check(.batchNorm) }
    func testActivation() throws { try check(.activation) }
    func testPooling() throws { try check(.pooling) }
    func testDropout() throws { try check(.dropout) }
    func testAddConcat() throws { try check(.addConcat) }
    func testSoftmaxLoss() throws { try check(.softmaxLoss) }
    func testOptimizer() throws { try check(.optimizer) }
    func testArithmetic() throws { try check(.arithmetic) }
    func testPadding() throws { try check(.padding) }
    func testRowNorm() throws { try check(.rowNorm) }
    func testLocalResponseNorm() throws { try check(.localResponseNorm) }
    func testPReLU() throws { try check(.prelu) }
    func testSlice() throws { try check(.slice) }
    func testUpsample() throws { try check(.upsample) }
    func testConvTranspose() throws { try check(.convTranspose) }
    func testPermute() throws { try check(.permute) }
}
