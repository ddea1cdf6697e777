/// LLMatic's thirteen mutation prompts, in the paper's order (the order is the prompt index, the prompt
/// archive's first descriptor, so never reorder them).
public enum MutationInstruction: Int, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case addLayer, deleteLayer, improve, shrink, grow
    case addLinear, addConvolution, addPooling, addResidual, addResiduals, addDropout, addNormalization
    case addRecurrent

    /// The instruction as the language model reads it.
    public var prompt: String {
        switch self {
        case .addLayer: return "Add a layer to improve the above network"
        case .deleteLayer: return "Delete a layer to improve the above network"
        case .improve: return "Improve the above network"
        case .shrink: return "Improve the above network by reducing the size drastically"
        case .grow: return "Improve the above network by increasing the size drastically"
        case .addLinear: return "Add fully connected layer to improve the above network"
        case .addConvolution: return "Add convolutional layer to improve the above network"
        case .addPooling: return "Add pooling layer to improve the above network"
        case .addResidual: return "Add residual connection to improve the above network"
        case .addResiduals: return "Add multiple residual connections to improve the above network"
        case .addDropout: return "Add dropout layer to improve the above network"
        case .addNormalization: return "Add normalization layer to improve the above network"
        case .addRecurrent: return "Add recurrent layer to improve the above network"
        }
    }

    /// Short stable name for logs, JSON and the report.
    public var description: String {
        switch self {
        case .addLayer: return "add-layer"
        case .deleteLayer: return "delete-layer"
        case .improve: return "improve"
        case .shrink: return "shrink"
        case .grow: return "grow"
        case .addLinear: return "add-linear"
        case .addConvolution: return "add-conv"
        case .addPooling: return "add-pooling"
        case .addResidual: return "add-residual"
        case .addResiduals: return "add-residuals"
        case .addDropout: return "add-dropout"
        case .addNormalization: return "add-norm"
        case .addRecurrent: return "add-recurrent"
        }
    }
}

/// How a child is made.
public enum Variation: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The seed network itself (candidate 0).
    case seed
    case mutation(MutationInstruction)
    case crossover

    public static let crossoverPrompt = "Combine the above two neural networks and create a third neural network class that also inherits from nn.Module"

    public var description: String {
        switch self {
        case .seed: return "seed"
        case .mutation(let m): return m.description
        case .crossover: return "crossover"
        }
    }

    /// Inverse of `description`.
    public init?(name: String) {
        if name == "seed" { self = .seed; return }
        if name == "crossover" { self = .crossover; return }
        guard let m = MutationInstruction.allCases.first(where: { $0.description == name }) else { return nil }
        self = .mutation(m)
    }

    // Stored as its name, so events.jsonl stays readable.
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let op = Variation(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown operation '\(name)'"))
        }
        self = op
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
