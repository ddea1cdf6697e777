import NetIR

/// Where one named model tensor sits in its region.
public struct TensorSlot: Hashable, Codable, Sendable {
    /// PyTorch `state_dict` name, e.g. `conv1.weight`, `bn0.running_var`.
    public var name: String
    public var dims: [Int]
    public var offset: Int
    public var count: Int { dims.reduce(1, *) }
    public var ref: TensorRef { TensorRef(.parameters, offset: offset, count: count) }
}

/// Options fixed when a graph is compiled.
public struct PlanOptions: Hashable, Codable, Sendable {
    public var batchSize: Int
    public var optimizer: OptimizerConfig
    public var labelSmoothing: Float
    /// Fold activations into the epilogue of the producing Conv2d/Linear/BatchNorm/Add where that is exact, and
    /// (compiling for a backend that supports it) a ReLU's backward into the max pool's after it or the batch norm's
    /// before it (`Fusion`).
    public var fuseActivations: Bool

    public init(batchSize: Int, optimizer: OptimizerConfig = .defaultSGD, labelSmoothing: Float = 0,
                fuseActivations: Bool = true) {
        self.batchSize = batchSize; self.optimizer = optimizer; self.labelSmoothing = labelSmoothing
        self.fuseActivations = fuseActivations
    }
}

/// A compiled network for one batch size: every buffer placed, every kernel invocation listed. Running a step is
/// replaying a program; backends turn the instructions into prebound kernels once, at load.
public struct Plan: Sendable {
    public var graph: Graph
    public var options: PlanOptions
    public var classes: Int
    public var inputShape: TensorShape

    /// Trainable tensors in `Region.parameters` (gradients and optimizer state use the same offsets).
    public var parameterSlots: [TensorSlot]
    /// BatchNorm running statistics in `Region.buffers`.
    public var bufferSlots: [TensorSlot]
    /// Modules whose BatchNorm has tracked batches (`num_batches_tracked` in PyTorch's state_dict).
    public var batchNormModules: [String]

    /// Region sizes in 4-byte elements.
    public var parameterCount: Int
    public var bufferCount: Int
    public var optimizerCount: Int
    public var arenaCount: Int
    public var inputCount: Int { options.batchSize * inputShape.count }
    public var labelCount: Int { options.batchSize }
    public static let metricsCount = 4

    /// Forward (training mode), loss, backward, optimizer update.
    public var trainProgram: [Instruction]
    /// Forward (eval mode) and loss metrics; leaves the logits in `output`.
    public var evalProgram: [Instruction]
    /// The network output (logits) after either program.
    public var output: TensorRef
    /// Arena placement: every planned tensor's offset, size and the instruction interval it must survive.
    public var arenaTensors: [PlannedTensor]

    public func count(of region: Region) -> Int {
        switch region {
        case .none: return 0
        case .arena: return arenaCount
        case .parameters, .gradients: return parameterCount
        case .buffers: return bufferCount
        case .optimizer: return optimizerCount
        case .input: return inputCount
        case .labels: return labelCount
        case .metrics: return Self.metricsCount
        }
    }

    /// Bytes the plan needs on a device, all regions together.
    public var totalBytes: Int {
        4 * [Region.arena, .parameters, .gradients, .buffers, .optimizer, .input, .labels, .metrics].reduce(0) { $0 + count(of: $1) }
    }
}
