/// Sums accumulated on the device since the last `takeMetrics()`.
public struct StepMetrics: Hashable, Sendable {
    public var lossSum: Double
    public var correct: Double
    public var samples: Double
    public init(lossSum: Double = 0, correct: Double = 0, samples: Double = 0) {
        self.lossSum = lossSum; self.correct = correct; self.samples = samples
    }
    public var meanLoss: Double { samples > 0 ? lossSum / samples : .nan }
    public var accuracy: Double { samples > 0 ? correct / samples : .nan }
}

/// A device that can run plans: the CPU backend, an OpenCL device, a test double.
public protocol Backend: Sendable {
    /// Human-readable device name for logs (`cpu (2 threads, OpenBLAS)`, `NVIDIA H100 (OpenCL 3.0)`).
    var name: String { get }
    /// Prepares a plan to run: allocates its regions (zeroed) and prebinds every instruction.
    func load(_ plan: Plan) throws -> any PlanExecutor
    /// Whether the backend has a kernel for `op` (as ggml's backends answer). Each backend dispatches with one
    /// exhaustive `switch` over `Op` (no `default:`), so a new op does not compile until every backend takes a
    /// side: an arm with a kernel, or an arm that refuses it, and then `false` here for that op.
    func supports(_ op: Op) -> Bool
}

extension Backend {
    /// Throws `PlanError.unsupported` naming the first instruction `supports` refuses, its layer and this device.
    public func checkSupport(_ plan: Plan) throws {
        for ins in plan.trainProgram + plan.evalProgram where !supports(ins.op) {
            throw PlanError.unsupported(op: ins.opName, node: ins.node, device: name)
        }
    }
}

/// A loaded plan. Steps are enqueued; reads (`takeMetrics`, `outputs`, `read`) wait for them.
public protocol PlanExecutor: AnyObject {
    var plan: Plan { get }
    /// Copies the batch in. `images.count == plan.inputCount`, `labels.count == plan.labelCount`.
    func setBatch(images: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>)
    /// Forward, loss, backward and update at `learningRate`. Dropout draws from (seed, step count).
    func trainStep(learningRate: Float)
    /// Forward in eval mode and loss metrics; the logits stay readable through `outputs()`.
    func evalStep()
    /// Returns the loss/accuracy sums since the last call and resets them.
    func takeMetrics() -> StepMetrics
    /// Logits of the last step, `batch * classes`, row-major.
    func outputs() -> [Float]
    /// Whole-region reads and writes (parameters, gradients, buffers, optimizer state) for checkpoints and tests.
    func read(_ region: Region) -> [Float]
    func write(_ region: Region, _ values: [Float])
    /// Seed of the dropout stream; steps taken so far (Adam's bias correction and dropout use it).
    var seed: UInt32 { get set }
    var step: Int { get set }
}
