import XCTest
import COpenCL
import Engine
import NetIR
@testable import OpenCLBackend

final class DeviceTests: XCTestCase {
    func testDiscoveryListsDevicesWithLimits() throws {
        let device = try TestDevice.require()
        let all = try OpenCLDevice.all()
        XCTAssertFalse(all.isEmpty)
        for d in all {
            print("device:", d)
            XCTAssertGreaterThan(d.computeUnits, 0)
            XCTAssertGreaterThan(d.globalMemory, 0)
            XCTAssertGreaterThan(d.maxWorkGroupSize, 0)
            XCTAssertTrue(d.openCLVersion.hasPrefix("OpenCL"), d.openCLVersion)
        }
        XCTAssertEqual(try OpenCLDevice.select("opencl:\(device.index)").name, device.name)
        XCTAssertThrowsError(try OpenCLDevice.select("opencl:\(all.count)")) { error in
            guard case OpenCLError.noDevice = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try OpenCLDevice.select("cuda"))
    }

    func testEveryKernelFileBuilds() throws {
        let runtime = try DeviceRuntime.shared(try TestDevice.require())
        for file in ["elementwise.cl", "conv.cl", "batchnorm.cl", "pooling.cl", "loss.cl", "optimizer.cl", "gemm.cl"] {
            XCTAssertNoThrow(try runtime.program(["common.cl", file], defines: [("WGS", "64")]), file)
        }
    }

    func testBrokenKernelGivesTypedErrorWithBuildLog() throws {
        let runtime = try DeviceRuntime.shared(try TestDevice.require())
        let source = "__kernel void broken(__global float* x) { x[0] = undefined_symbol_here + ; }"
        XCTAssertThrowsError(try runtime.program(source: source, name: "broken.cl")) { error in
            guard case OpenCLError.buildFailed(let program, _, let log) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(program, "broken.cl")
            XCTAssertTrue(log.contains("undefined_symbol_here") || log.contains("error"), log)
        }
    }

    func testOversizedPlanGivesOutOfMemory() throws {
        let device = try TestDevice.require()
        // A linear layer whose weights alone exceed the largest single allocation the device allows.
        let features = device.maxAllocation / 4 / 2 + 1
        var b = NetworkBuilder(input: TensorShape(features: features))
        let fc = try b.linear("fc", b.input, out: 2, bias: false)
        let graph = try b.build(output: fc)
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 1, optimizer: .sgd(momentum: 0, nesterov: false, weightDecay: 0)))
        XCTAssertThrowsError(try OpenCLBackend(device: device, tune: false).load(plan)) { error in
            guard case OpenCLError.outOfMemory(_, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), detail)
        }
    }

    func testErrorNamesAndMemoryMapping() {
        XCTAssertEqual(OpenCLError.from(CL_OUT_OF_RESOURCES, call: "x"), .outOfMemory(call: "x", detail: "CL_OUT_OF_RESOURCES"))
        XCTAssertEqual(OpenCLError.from(CL_MEM_OBJECT_ALLOCATION_FAILURE, call: "y"),
                       .outOfMemory(call: "y", detail: "CL_MEM_OBJECT_ALLOCATION_FAILURE"))
        XCTAssertEqual(OpenCLError.from(CL_INVALID_KERNEL_ARGS, call: "z"), .call("z", code: -52, name: "CL_INVALID_KERNEL_ARGS"))
    }
}

/// LLMATIC_KERNELS=DIR reads kernel sources from DIR instead of the embedded copies.
final class KernelSourceTests: XCTestCase {
    func testKernelDirectoryOverridesEmbeddedSources() throws {
        let runtime = try DeviceRuntime.shared(try TestDevice.require())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llmatic-kernels-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer {
            unsetenv("LLMATIC_KERNELS")
            try? FileManager.default.removeItem(at: dir)
        }
        try "__kernel void from_directory(__global float* x) { x[get_global_id(0)] = 42.0f; }\n"
            .write(to: dir.appendingPathComponent("probe.cl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try KernelSource.text(of: "probe.cl"), "probe.cl is not embedded")
        setenv("LLMATIC_KERNELS", dir.path, 1)
        XCTAssertTrue(try KernelSource.text(of: "probe.cl").contains("from_directory"))
        XCTAssertNoThrow(try runtime.program(["probe.cl"]).kernel("from_directory"))
        XCTAssertThrowsError(try KernelSource.text(of: "gemm.cl")) { error in
            guard case OpenCLError.missingSource = error else { return XCTFail("\(error)") }
        }
        unsetenv("LLMATIC_KERNELS")
        XCTAssertTrue(try KernelSource.text(of: "gemm.cl").contains("__kernel"))
        // Every file in Kernels/ is embedded (read from the directory, so a new kernel file needs no edit here).
        let kernels = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Kernels").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: kernels.path).filter { $0.hasSuffix(".cl") }
        XCTAssertTrue(files.contains("gemm.cl") && files.contains("common.cl"), "\(kernels.path): \(files)")
        XCTAssertEqual(Set(EmbeddedKernels.sources.keys), Set(files))
    }

    /// OpenCL C forbids variadic macros; PoCL's compiler accepts them, NVIDIA's refuses every program that
    /// includes one (measured on an H200: no kernel built until common.cl's FOR_CHANNEL_ELEMENTS took one
    /// `body` argument). The tests here run on PoCL, so the rule is checked on the text.
    func testNoKernelUsesVariadicMacros() {
        for (file, text) in EmbeddedKernels.sources {
            XCTAssertFalse(text.contains("__VA_ARGS__"), "\(file) uses __VA_ARGS__")
            XCTAssertNil(text.range(of: #"#define\s+\w+\([^)]*\.\.\.\s*\)"#, options: .regularExpression), "\(file) defines a variadic macro")
        }
    }
}
