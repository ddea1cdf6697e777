/// Which memory a tensor lives in. Every backend holds one buffer per region, zero-initialised at load.
public enum Region: UInt8, Hashable, Codable, Sendable {
    /// Not present (an absent bias, a gradient nobody needs).
    case none
    /// Activations, gradients of activations and workspaces; reused by lifetime (see `MemoryPlanner`).
    case arena
    /// All trainable parameters, flat, in `Plan.parameterSlots` order, so the optimizer is one kernel.
    case parameters
    /// Gradients of the parameters, laid out exactly like `parameters`.
    case gradients
    /// BatchNorm running statistics.
    case buffers
    /// Optimizer state (momentum; Adam's m then v), each laid out like `parameters`.
    case optimizer
    /// The input batch, NCHW floats.
    case input
    /// The labels of the batch, Int32 (-1 marks padding, ignored by the loss).
    case labels
    /// Running sums since the last read: [loss sum, correct predictions, counted samples].
    case metrics
}

/// A contiguous run of 4-byte elements (Float, or Int32 for labels and argmax indices) in one region.
public struct TensorRef: Hashable, Codable, Sendable, CustomStringConvertible {
    public var region: Region
    public var offset: Int
    public var count: Int

    public init(_ region: Region, offset: Int, count: Int) {
        self.region = region; self.offset = offset; self.count = count
    }

    public static let absent = TensorRef(.none, offset: 0, count: 0)
    public var isPresent: Bool { region != .none }
    public var end: Int { offset + count }

    public var description: String { isPresent ? "\(region)[\(offset)..<\(end)]" : "-" }
}
