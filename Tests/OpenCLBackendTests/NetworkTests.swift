import XCTest
import OpTable
import Engine
import NetIR
@testable import OpenCLBackend

/// Whole training steps of the built-in networks against the reference, and the executor's promises:
/// no host waits inside steps, non-blocking batch uploads, metrics that accumulate on the device.
final class NetworkTests: XCTestCase {
    let small = TensorShape(channels: 1, height: 12, width: 12)

    func testBuiltinNetworksTrainLikeTheReference() throws {
        for net in BuiltinNetwork.allCases {
            try compareWithReference(try net.graph(input: small, classes: 10), batch: 3, tolerance: Tolerances.network(on: .openCL), steps: 2)
        }
        // ResNet-8 with Adam and batch 1 (BatchNorm over a single sample's planes).
        try compareWithReference(try BuiltinNetwork.resnet8.graph(input: small, classes: 10), batch: 1, tolerance: Tolerances.network(on: .openCL),
                                 optimizer: .defaultAdam, learningRate: 1e-3)
    }

    func testStepsEnqueueWithoutWaiting() throws {
        let device = try TestDevice.require()
        let plan = try PlanCompiler.compile(try BuiltinNetwork.resnet8.graph(input: small), options: PlanOptions(batchSize: 4))
        let executor = try OpenCLBackend(device: device, tune: false).loadExecutor(plan)
        executor.write(.parameters, plan.initialParameters(seed: 3))
        executor.write(.buffers, plan.initialBuffers())
        let images = randomValues(plan.inputCount, seed: 9)
        let labels = [Int32](repeating: 1, count: plan.labelCount)
        let enqueuesBefore = executor.enqueueCount
        let steps = 5
        var stepWaits = 0
        for _ in 0..<steps {
            // An upload may wait when the device is two batches behind (its staging slot is still in use): that
            // depends on the device's speed, so only the steps themselves are held to "never wait".
            images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { l in executor.setBatch(images: i, labels: l) } }
            let before = executor.waitCount
            executor.trainStep(learningRate: 0.01)
            stepWaits += executor.waitCount - before
        }
        XCTAssertEqual(stepWaits, 0, "training steps must not synchronise with the host")
        XCTAssertEqual(executor.enqueueCount - enqueuesBefore, steps * executor.trainLaunchCount)
        print("resnet8 batch 4: \(executor.trainLaunchCount) kernel enqueues per training step, \(plan.trainProgram.count) instructions")
        let metrics = executor.takeMetrics()
        XCTAssertEqual(metrics.samples, Double(steps * 4))
        XCTAssertTrue(metrics.meanLoss.isFinite)
        XCTAssertEqual(executor.takeMetrics().samples, 0, "takeMetrics resets the sums")
        XCTAssertEqual(executor.step, steps)
        XCTAssertNil(executor.failure)
    }

    func testProfilingAggregatesPerOp() throws {
        let device = try TestDevice.require()
        let plan = try PlanCompiler.compile(try BuiltinNetwork.smallcnn.graph(input: small), options: PlanOptions(batchSize: 2))
        var backend = OpenCLBackend(device: device, tune: false)
        backend.profiling = true
        let executor = try backend.loadExecutor(plan)
        executor.write(.parameters, plan.initialParameters(seed: 1))
        let images = randomValues(plan.inputCount, seed: 2)
        let labels: [Int32] = [0, 1]
        images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { l in executor.setBatch(images: i, labels: l) } }
        executor.trainStep(learningRate: 0.01)
        let profile = executor.takeProfile()
        let ops = Set(profile.map(\.op))
        for op in ["conv2d", "conv2dBackwardFilter", "linear", "softmaxCrossEntropy", "optimizer", "maxPool"] {
            XCTAssertTrue(ops.contains(op), "profile lacks \(op): \(ops.sorted())")
        }
        XCTAssertEqual(profile.reduce(0) { $0 + $1.calls }, executor.trainLaunchCount)
        XCTAssertTrue(executor.takeProfile().isEmpty, "takeProfile resets")
    }

    /// Large batches run im2col in chunks of samples; the chunked path must match the unchunked result.
    func testChunkedConvolutionMatchesReference() throws {
        let device = try TestDevice.require()
        var b = NetworkBuilder(input: TensorShape(channels: 3, height: 6, width: 6))
        let conv = try b.conv2d("conv", try b.conv2d("pre", b.input, out: 3, kernel: 1), out: 4, kernel: 3, padding: 1)
        let graph = try b.build(output: try b.flatten("flat", conv))
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 5))
        // A workspace cap of two samples' columns forces chunks of 2, 2, 1.
        let runtime = try DeviceRuntime.shared(device)
        let executor = try OpenCLExecutor(plan: plan, runtime: runtime, tune: false, tuningBudget: 0, profiling: false,
                                          workspaceCap: 2 * 27 * 36 + 2 * 4 * 36)
        XCTAssertGreaterThan(executor.trainLaunchCount, try OpenCLBackend(device: device, tune: false).loadExecutor(plan).trainLaunchCount)
        try compareWithReference(graph, batch: 5, tolerance: Tolerances.OpenCL.gemm, executor: executor)
    }

    /// A linear layer whose few output tiles would leave a GPU's compute units idle splits its long K over
    /// extra work-groups and sums the slices with its bias and activation (as on a 132-unit GPU); here a
    /// device of 64 units is simulated. With and without a bias, with a fused ReLU and a plain output.
    func testSplitKLinearForwardMatchesReference() throws {
        let device = try TestDevice.require()
        var b = NetworkBuilder(input: TensorShape(channels: 1, height: 32, width: 32))
        let flat = try b.flatten("flat", b.input)
        let hidden = try b.relu("relu", try b.linear("fc1", flat, out: 5))
        let other = try b.linear("fc2", flat, out: 5, bias: false)
        let graph = try b.build(output: try b.linear("head", try b.addValues("sum", hidden, other), out: 3))
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 4))
        let runtime = try DeviceRuntime.shared(device)
        func executor(units: Int) throws -> OpenCLExecutor {
            try OpenCLExecutor(plan: plan, runtime: runtime, tune: false, tuningBudget: 0, profiling: false,
                               workSizes: WorkSizes(reduction: 64, element: 64, computeUnits: units))
        }
        let split = try executor(units: 64)
        // fc1 and fc2 (K = 1,024) are split, the head (K = 5) is not: one summing launch each for the first two.
        // On one compute unit a single tile fills the device and nothing is split.
        XCTAssertEqual(split.trainLaunchCount, try executor(units: 1).trainLaunchCount + 2)
        try compareWithReference(graph, batch: 4, tolerance: Tolerances.OpenCL.gemm, steps: 2, executor: split)
    }

    /// BatchNorm statistics and gradients and bias gradients split over chunks of samples (partial sums and a
    /// second pass, as a GPU gets them), and plane grids whose sample count is padded, against the reference.
    func testSplitReductionsAndPaddedPlaneGridsMatchReference() throws {
        let device = try TestDevice.require()
        var b = NetworkBuilder(input: TensorShape(channels: 3, height: 6, width: 6))
        var x = try b.conv2d("conv", b.input, out: 4, kernel: 3, padding: 1)
        x = try b.relu("relu", try b.batchNorm("bn", x))
        x = try b.maxPool("pool", x, kernel: 2)
        let graph = try b.build(output: try b.linear("fc", try b.flatten("flat", x), out: 3))
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 5))
        var sizes = WorkSizes(reduction: 64, element: 64, computeUnits: 4)
        sizes.minimumPerGroup = 1   // 5 chunks of one sample each per channel
        sizes.planeGroup = 128      // 6x6 planes, 3 samples deep: 5 samples padded to 6
        XCTAssertEqual(sizes.chunks(channels: 4, batch: 5, spatial: 36), 5)
        XCTAssertEqual(sizes.planeGrid(width: 6, height: 6, count: 5, outer: 2).countPad, 6)
        let runtime = try DeviceRuntime.shared(device)
        let executor = try OpenCLExecutor(plan: plan, runtime: runtime, tune: false, tuningBudget: 0, profiling: false,
                                          workSizes: sizes)
        // The split adds a partial-sum launch to BatchNorm forward and backward and a sum to each bias gradient.
        XCTAssertGreaterThan(executor.trainLaunchCount, try OpenCLBackend(device: device, tune: false).loadExecutor(plan).trainLaunchCount)
        try compareWithReference(graph, batch: 5, tolerance: Tolerances.OpenCL.gemm, steps: 2, executor: executor)
    }
}
