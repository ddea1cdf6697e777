import XCTest
import Engine
import NetIR
import ReferenceBackend
import OpTable
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

/// Max |opencl - reference| over a whole region divided by max(max |reference|, 1e-3) (the region's own scale:
/// its largest values set it, so small gradients are not hidden by a floor of 1), and where it happens.
func regionError(_ a: [Float], _ b: [Float]) -> (error: Double, index: Int) {
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
    let (error, at) = regionError(actual, expected)
    if ProcessInfo.processInfo.environment["LLMATIC_TEST_VERBOSE"] != nil {
        let scale = expected.reduce(Float(0)) { max($0, abs($1)) }
        print("compare \(what): \(actual.count) values, max |ref| \(scale), normalised error \(error)")
    }
    if error > tolerance.value {
        let pair = at >= 0 && at < actual.count ? "opencl \(actual[at]) vs reference \(expected[at]) at \(at)" : ""
        XCTFail("\(what): normalised error \(error) > \(tolerance); \(pair)", file: file, line: line)
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
                    [Float(r.lossSum), Float(r.correct), Float(r.samples)], metricsBound(tolerance), "\(what): metrics",
                    file: file, line: line)
    }
    opencl.evalStep()
    reference.evalStep()
    assertClose(opencl.outputs(), reference.outputs(), tolerance, "\(context) eval: logits", file: file, line: line)
    let (m, r) = (opencl.takeMetrics(), reference.takeMetrics())
    assertClose([Float(m.lossSum), Float(m.samples)], [Float(r.lossSum), Float(r.samples)], metricsBound(tolerance),
                "\(context) eval: metrics", file: file, line: line)
    XCTAssertNil(opencl.failure, "\(context): \(String(describing: opencl.failure))", file: file, line: line)
}

/// The loss sum and counts: at least the loss's own bound (a Float reduction over the batch).
func metricsBound(_ tolerance: Tolerance) -> Tolerance {
    let loss = Tolerances.of(.softmaxCrossEntropy(batch: 1, classes: 2, labelSmoothing: 0), on: .openCL)
    return tolerance.value >= loss.value ? tolerance : loss
}
