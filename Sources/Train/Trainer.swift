import Data
import Engine
import Foundation
import NetIR

/// Trains one network on one backend: compiles the plan once, owns the loaded executor (parameters, BatchNorm
/// statistics, optimizer state on the device) and replays training steps fed by a prefetching `BatchLoader`.
///
/// The training plan serves evaluation too (its eval program: BatchNorm running statistics, no dropout) unless
/// `evalBatchSize` differs; then a second plan is loaded on first use and gets the parameters and buffers copied
/// in before each evaluation.
public final class Trainer {
    public let graph: Graph
    public let config: TrainingConfig
    public let plan: Plan
    public let cost: NetworkCost
    /// The backend's name for logs (`cpu (2 threads, OpenBLAS)`).
    public let deviceName: String

    let backend: any Backend
    let executor: any PlanExecutor
    var evalExecutor: (any PlanExecutor)?
    /// Training metrics taken off the device by an evaluation, added back at the next read.
    var carriedMetrics = StepMetrics()

    /// Compiles `graph` for `config.batchSize`, loads it on `backend` and initialises the parameters from
    /// `config.seed` (PyTorch's default initialisation, see `Plan.initialParameters`).
    public init(graph: Graph, config: TrainingConfig, backend: any Backend) throws(TrainingError) {
        try config.validate()
        self.graph = graph
        self.config = config
        self.backend = backend
        deviceName = backend.name
        do {
            cost = try graph.cost()
        } catch let error as NetworkError {
            throw .network(error)
        } catch {
            throw .plan(String(describing: error))
        }
        let options = PlanOptions(batchSize: config.batchSize, optimizer: config.optimizer,
                                  labelSmoothing: config.labelSmoothing)
        plan = try Self.compile(graph, options, for: backend)
        try Self.checkMemory(plan, config: config)
        executor = try Self.load(plan, on: backend)
        resetParameters(seed: config.seed)
    }

    /// The plan for `backend`, with the fusions it supports (`Fusion`); an op it lacks is reported by `load`.
    static func compile(_ graph: Graph, _ options: PlanOptions, for backend: any Backend) throws(TrainingError) -> Plan {
        do {
            return try PlanCompiler.compile(graph, options: options, takes: backend.supports)
        } catch PlanError.network(let error) {
            throw .network(error)
        } catch {
            throw .plan(String(describing: error))
        }
    }

    static func load(_ plan: Plan, on backend: any Backend) throws(TrainingError) -> any PlanExecutor {
        do {
            return try backend.load(plan)
        } catch let error as any BackendFailureConvertible {
            throw .backend(error.backendFailure)
        } catch let error as BackendFailure {
            throw .backend(error)
        } catch {
            throw .backend(.failed(device: backend.name, detail: "cannot load the plan: \(error)"))
        }
    }

    /// Fresh parameters and BatchNorm statistics from `seed`, zero optimizer state, step 0.
    public func resetParameters(seed: UInt64) {
        executor.write(.parameters, plan.initialParameters(seed: seed))
        if plan.bufferCount > 0 { executor.write(.buffers, plan.initialBuffers()) }
        if plan.optimizerCount > 0 { executor.write(.optimizer, [Float](repeating: 0, count: plan.optimizerCount)) }
        executor.seed = Self.dropoutSeed(seed)
        executor.step = 0
        _ = executor.takeMetrics()
        carriedMetrics = StepMetrics()
    }

    /// Optimizer steps taken so far (restored with a checkpoint).
    public var step: Int { executor.step }

    /// The flat parameter region (layout: `plan.parameterSlots`).
    public func parameters() -> [Float] { executor.read(.parameters) }

    // MARK: seeds

    /// Dropout's stream seed: both halves of the run seed folded in, so seeds differing only high still differ.
    static func dropoutSeed(_ seed: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: seed ^ (seed >> 32)) }

    /// The loader's seed, a different stream from initialisation's for the same run seed.
    static func loaderSeed(_ seed: UInt64) -> UInt64 {
        var g = SplitMix64(seed: seed ^ 0x6c6f_6164_6572_0000)   // "loader"
        return g.next()
    }

    // MARK: checks

    /// Throws when the data cannot feed this network: image shape or a class the network cannot output.
    public func checkCompatible(_ dataset: Dataset) throws(TrainingError) {
        let shape = TensorShape(channels: dataset.shape.channels, height: dataset.shape.height, width: dataset.shape.width)
        guard shape == graph.inputShape else {
            throw .dataMismatch("the network takes input \(graph.inputShape) but data set '\(dataset.name)' has images of \(shape)")
        }
        guard plan.classes >= dataset.classes else {
            throw .dataMismatch("the network outputs \(plan.classes) classes but data set '\(dataset.name)' has \(dataset.classes)")
        }
    }
}
