import XCTest
import Engine
import NetIR
import ReferenceBackend
@testable import OpenCLBackend

/// The device every test runs on: the fastest GPU, else the first device (PoCL on CI). Discovery and
/// program builds are cached per process (`DeviceRuntime.shared`), so kernels compile once for all tests.
enum TestDevice {
    /// nil when no platform/device exists; a broken installation is an error (the tests fail, not skip).
    static let found: Result<OpenCLDevice?, any Error> = Result {
        try OpenCLDevice.all().isEmpty ? nil : try OpenCLDevice.select("opencl")
    }

    /// Skips only when no OpenCL platform/device exists at all.
    static func require() throws -> OpenCLDevice {
        switch found {
        case .success(let device?): return device
        case .success(nil):
            throw XCTSkip("no OpenCL platform or device is installed (install pocl-opencl-icd to run these tests on the CPU)")
        case .failure(let error): throw error
        }
    }
}

/// Deterministic values in [-bound, bound).
func randomValues(_ count: Int, seed: UInt64, bound: Float = 1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.uniform(bound) }
}

/// Normalised max error (see `Tolerance`) and where it happens.
func normalisedError(_ a: [Float], _ b: [Float]) -> (error: Double, index: Int) {
    guard a.count == b.count else { return (.infinity, -1) }
    let scale = max(b.reduce(0) { max($0, Double(abs($1))) }, 1e-3)
    var worst = 0.0, at = -1
    for i in a.indices {
        let d = Double(abs(a[i] - b[i]))
        if d.isNaN || d > worst { worst = d.isNaN ? .infinity : d; at = i }
    }
    return (worst / scale, at)
}

func assertClose(_ actual: [Float], _ expected: [Float], _ tolerance: Tolerance, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): sizes differ", file: file, line: line)
    let (error, at) = normalisedError(actual, expected)
    if ProcessInfo.processInfo.environment["LLMATIC_TEST_VERBOSE"] != nil {
        let scale = expected.reduce(Float(0)) { max($0, abs($1)) }
        print("compare \(what): \(actual.count) values, max |ref| \(scale), normalised error \(error)")
    }
    if error > tolerance.rawValue {
        let pair = at >= 0 && at < actual.count ? "opencl \(actual[at]) vs reference \(expected[at]) at \(at)" : ""
        XCTFail("\(what): normalised error \(error) > \(tolerance) (\(tolerance.rawValue)); \(pair)", file: file, line: line)
    }
}

/// Runs the same plan on the reference and the OpenCL backend from the same state and compares everything
/// observable: logits, arena (every intermediate value and gradient), parameter gradients, parameters and
/// optimizer state after the update, BN running stats, metrics; then an eval step.
func compareWithReference(_ graph: Graph, batch: Int, tolerance: Tolerance, steps: Int = 1,
                          optimizer: OptimizerConfig = .defaultSGD, labelSmoothing: Float = 0, fuse: Bool = true,
                          paddingLabel: Bool = false, learningRate: Float = 0.05, seed: UInt64 = 7,
                          backend: OpenCLBackend? = nil, executor: OpenCLExecutor? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
    let device = try TestDevice.require()
    let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: batch, optimizer: optimizer,
                                                                     labelSmoothing: labelSmoothing, fuseActivations: fuse))
    let reference = try ReferenceBackend().load(plan)
    let opencl = try executor ?? (backend ?? OpenCLBackend(device: device, tune: false)).loadExecutor(plan)
    let parameters = plan.initialParameters(seed: seed)
    for e in [reference, opencl] as [any PlanExecutor] {
        e.write(.parameters, parameters)
        e.write(.buffers, plan.initialBuffers())
        e.seed = 1234
    }
    let images = randomValues(plan.inputCount, seed: seed &+ 1)
    var labels = (0..<batch).map { Int32(($0 * 7 + 3) % plan.classes) }
    if paddingLabel && batch > 1 { labels[batch - 1] = -1 }
    let context = "\(graph.nodes.map(\.name).joined(separator: ">")) batch \(batch)"
    for s in 0..<steps {
        for e in [reference, opencl] as [any PlanExecutor] {
            images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { l in e.setBatch(images: i, labels: l) } }
            e.trainStep(learningRate: learningRate)
        }
        let what = "\(context) step \(s)"
        assertClose(opencl.outputs(), reference.outputs(), tolerance, "\(what): logits", file: file, line: line)
        for region in [Region.arena, .gradients, .parameters, .optimizer, .buffers] where plan.count(of: region) > 0 {
            assertClose(opencl.read(region), reference.read(region), tolerance, "\(what): \(region)", file: file, line: line)
        }
        let (m, r) = (opencl.takeMetrics(), reference.takeMetrics())
        assertClose([Float(m.lossSum), Float(m.correct), Float(m.samples)],
                    [Float(r.lossSum), Float(r.correct), Float(r.samples)], max(tolerance, .reduction), "\(what): metrics",
                    file: file, line: line)
    }
    opencl.evalStep()
    reference.evalStep()
    assertClose(opencl.outputs(), reference.outputs(), tolerance, "\(context) eval: logits", file: file, line: line)
    let (m, r) = (opencl.takeMetrics(), reference.takeMetrics())
    assertClose([Float(m.lossSum), Float(m.samples)], [Float(r.lossSum), Float(r.samples)], max(tolerance, .reduction),
                "\(context) eval: metrics", file: file, line: line)
    XCTAssertNil(opencl.failure, "\(context): \(String(describing: opencl.failure))", file: file, line: line)
}

extension Tolerance: Comparable {
    static func < (a: Tolerance, b: Tolerance) -> Bool { a.rawValue < b.rawValue }
}

/// A one-layer network: `input -> [pre] -> body -> flatten` so the loss sees every output of the layer under
/// test. `pre` (a 1x1 convolution) makes the layer's input require a gradient, so backward-data runs too.
func singleLayer(input: TensorShape, pre: Bool = true,
                 _ body: (inout NetworkBuilder, NetworkBuilder.Value) throws -> NetworkBuilder.Value) throws -> Graph {
    var b = NetworkBuilder(input: input)
    var x = b.input
    if pre { x = try b.conv2d("pre", x, out: input.channels, kernel: 1) }
    let y = try body(&b, x)
    let out = b.shape(of: y).rank == 1 ? y : try b.flatten("flat", y)
    return try b.build(output: out)
}
