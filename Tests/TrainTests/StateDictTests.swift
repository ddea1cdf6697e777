import Engine
import NetIR
import XCTest
@testable import Train

final class StateDictTests: XCTestCase {
    func plan() throws -> Plan {
        try PlanCompiler.compile(try tinyBatchNormNet(input: TensorShape(channels: 2, height: 5, width: 5), classes: 3),
                                 options: PlanOptions(batchSize: 4))
    }

    func testNamesFollowPyTorchStateDict() throws {
        let p = try plan()
        let parameters = (0..<p.parameterCount).map { Float($0) }
        let tensors = p.stateDict(parameters: parameters, buffers: p.initialBuffers(), batchesTracked: 7)
        XCTAssertEqual(tensors.map(\.name), ["conv1.weight", "bn1.weight", "bn1.bias", "fc.weight", "fc.bias",
                                             "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"])
        XCTAssertEqual(tensors.map(\.shape), [[4, 2, 3, 3], [4], [4], [3, 4], [3], [4], [4], []])
        XCTAssertEqual(tensors.last?.int64, 7)
        XCTAssertEqual(tensors.last?.dtype, .i64)
        XCTAssertEqual(tensors[6].floats, [1, 1, 1, 1])
        let fc = try XCTUnwrap(p.parameterSlots.first { $0.name == "fc.bias" })
        XCTAssertEqual(tensors[4].floats, (fc.offset..<(fc.offset + 3)).map { Float($0) })
    }

    func testStrictLoadRoundTripsAndChecksEverything() throws {
        let p = try plan()
        let parameters = (0..<p.parameterCount).map { Float($0) * 0.5 }
        let buffers = (0..<p.bufferCount).map { Float($0) + 0.25 }
        let file = SafetensorsFile(tensors: p.stateDict(parameters: parameters, buffers: buffers, batchesTracked: 3))
        var gotParameters = [Float](repeating: -1, count: p.parameterCount)
        var gotBuffers = [Float](repeating: -1, count: p.bufferCount)
        let report = try p.applyStateDict(file, path: "w", strict: true, parameters: &gotParameters, buffers: &gotBuffers)
        XCTAssertEqual(report.loaded.count, 7)
        for slot in p.parameterSlots {
            XCTAssertEqual(gotParameters[slot.offset..<(slot.offset + slot.count)], parameters[slot.offset..<(slot.offset + slot.count)])
        }
        for slot in p.bufferSlots {
            XCTAssertEqual(gotBuffers[slot.offset..<(slot.offset + slot.count)], buffers[slot.offset..<(slot.offset + slot.count)])
        }

        func expectError(_ edit: (inout [SafetensorsTensor]) -> Void, _ expected: SafetensorsError,
                         file line: UInt = #line) {
            var tensors = file.tensors
            edit(&tensors)
            var x = gotParameters, y = gotBuffers
            XCTAssertThrowsError(try p.applyStateDict(SafetensorsFile(tensors: tensors), path: "w", strict: true,
                                                      parameters: &x, buffers: &y), line: line) {
                XCTAssertEqual($0 as? SafetensorsError, expected, line: line)
            }
        }
        expectError({ $0.removeAll { $0.name == "bn1.running_var" } }, .missingTensor(path: "w", tensor: "bn1.running_var"))
        expectError({ $0[3] = SafetensorsTensor(name: "fc.weight", shape: [4, 3], floats: Array(repeating: 0, count: 12)) },
                    .shapeMismatch(path: "w", tensor: "fc.weight", expected: [3, 4], found: [4, 3]))
        expectError({ $0[4] = SafetensorsTensor(name: "fc.bias", dtype: .f16, shape: [3], bytes: Array(repeating: 0, count: 6)) },
                    .dtypeMismatch(path: "w", tensor: "fc.bias", expected: "F32", found: "F16"))
        expectError({ $0.append(SafetensorsTensor(name: "fc2.weight", shape: [1], floats: [0])) },
                    .unexpectedTensor(path: "w", tensor: "fc2.weight"))
        XCTAssertEqual(String(describing: SafetensorsError.shapeMismatch(path: "w", tensor: "fc.weight", expected: [3, 4], found: [4, 3])),
                       "w: tensor 'fc.weight': expected shape [3, 4], found [4, 3]")
    }

    func testNonStrictLoadInheritsMatchingTensors() throws {
        let p = try plan()
        let wider = try PlanCompiler.compile(try tinyBatchNormNet(input: TensorShape(channels: 2, height: 5, width: 5), classes: 5),
                                             options: PlanOptions(batchSize: 4))
        let source = SafetensorsFile(tensors: wider.stateDict(parameters: [Float](repeating: 2, count: wider.parameterCount),
                                                              buffers: wider.initialBuffers(), batchesTracked: 0)
                                     + [SafetensorsTensor(name: "extra", shape: [1], floats: [1])])
        var parameters = [Float](repeating: 0, count: p.parameterCount)
        var buffers = p.initialBuffers()
        let report = try p.applyStateDict(source, path: "w", strict: false, parameters: &parameters, buffers: &buffers)
        XCTAssertEqual(report.kept, ["fc.weight", "fc.bias"])
        XCTAssertEqual(report.ignored, ["extra"])
        XCTAssertEqual(report.loaded, ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"])
        let fc = try XCTUnwrap(p.parameterSlots.first { $0.name == "fc.weight" })
        XCTAssertEqual(parameters[fc.offset], 0, "a kept tensor keeps its own values")
        XCTAssertEqual(parameters[0], 2)
    }

    /// A module whose weight changed shape keeps its own bias too: inheriting a bias trained for other weights
    /// next to fresh weights is what made search children diverge.
    func testWholeModuleInheritanceSkipsAModuleWithAnyMismatch() throws {
        let p = try plan()
        var tensors = p.stateDict(parameters: [Float](repeating: 2, count: p.parameterCount), buffers: p.initialBuffers(),
                                  batchesTracked: 0)
        let at = try XCTUnwrap(tensors.firstIndex { $0.name == "fc.weight" })
        tensors[at] = SafetensorsTensor(name: "fc.weight", shape: [1, 1], floats: [2])
        for whole in [false, true] {
            var parameters = [Float](repeating: 0, count: p.parameterCount)
            var buffers = p.initialBuffers()
            let report = try p.applyStateDict(SafetensorsFile(tensors: tensors), path: "w", strict: false, wholeModules: whole,
                                              parameters: &parameters, buffers: &buffers)
            let bias = try XCTUnwrap(p.parameterSlots.first { $0.name == "fc.bias" })
            XCTAssertEqual(report.kept.contains("fc.bias"), whole)
            XCTAssertEqual(parameters[bias.offset], whole ? 0 : 2)
            XCTAssert(report.loaded.contains("conv1.weight") && report.kept.contains("fc.weight"))
        }
    }
}
