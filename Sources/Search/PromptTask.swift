import NetCode
import NetIR

/// The focused form of a mutation prompt for small chat models: one concrete edit naming where to make it, with
/// the shape at that place (`Add nn.BatchNorm2d(32) right after self.conv2`).
/// Measured with `llmatic llm-yield` on Qwen2.5-Coder-0.5B: with LLMatic's own one-line instructions most
/// parsed replies were the parent again (the model copies the code it is shown); naming the place and the
/// layer makes the edit the easy continuation. The model still writes the whole file, so it may do more.
/// The target is chosen by the request's seed, so the same request gives the same prompt.
public struct PromptTask: Sendable {
    /// One layer of the parent as the model sees it.
    public struct Line: Sendable, Hashable {
        /// `self.conv1` for a module of `__init__`, else the node's name (`relu_2`, a functional call).
        public var name: String
        public var isModule: Bool
        public var layer: Layer
        public var input: TensorShape
        public var output: TensorShape
    }

    /// The parent's layers in forward order. Only the task is sent, not this list: measured with `llmatic
    /// llm-yield`, Qwen2.5-Coder-0.5B copied a listing's `-> [shape]` into its code (`unexpected token '->'`, the
    /// first 2 replies of 2); the task states the shape at its place instead.
    public var lines: [Line]

    /// The parent's layers, or nil when it does not parse (the paper's instruction is used then).
    public init?(parent source: String, input: TensorShape) {
        guard let parsed = try? NetworkSource.parse(source, file: "parent.py", input: input),
              let shapes = try? parsed.graph.inferShapes() else { return nil }
        let g = parsed.graph
        lines = g.nodes.indices.dropFirst().compactMap { i in
            let node = g.nodes[i]
            let root = String(node.module.split(separator: ".").first ?? "")
            let isModule = source.contains("self.\(root)")
            guard let first = node.inputs.first else { return nil }
            return Line(name: isModule ? "self.\(node.module)" : node.name, isModule: isModule, layer: node.layer,
                        input: shapes[first], output: shapes[i])
        }
    }

    static func describe(_ layer: Layer) -> String {
        switch layer {
        case .conv2d(let a): return "Conv2d(\(a.inChannels), \(a.outChannels), kernel_size=\(a.kernel), stride=\(a.stride), padding=\(a.padding))"
        case .linear(let i, let o, _): return "Linear(\(i), \(o))"
        case .batchNorm(let a): return "BatchNorm\(a.dimensions)d(\(a.features))"
        case .dropout(let p): return "Dropout(\(p))"
        case .maxPool2d(let a): return "MaxPool2d(\(a.kernel), stride=\(a.stride))"
        case .avgPool2d(let a): return "AvgPool2d(\(a.kernel), stride=\(a.stride))"
        default: return layer.typeName
        }
    }

    private func pick(_ candidates: [Line], _ seed: UInt64, _ salt: UInt64) -> Line? {
        guard !candidates.isEmpty else { return nil }
        var rng = SearchRandom(seed: seed, 0x7A5C, salt)
        return candidates[rng.below(candidates.count)]
    }

    var convolutions: [Line] { lines.filter { if case .conv2d = $0.layer { return $0.isModule } else { return false } } }
    var linears: [Line] { lines.filter { if case .linear = $0.layer { return $0.isModule } else { return false } } }
    /// Points after which a layer taking an image can go (any layer whose output is an image).
    var imageOutputs: [Line] { lines.filter { $0.isModule && $0.output.isImage } }

    /// The concrete edit for `instruction`, or nil when the parent offers no place for it (the paper's
    /// instruction is used then).
    public func task(_ instruction: MutationInstruction, seed: UInt64) -> String? {
        let lastLinear = linears.last
        func shape(_ s: TensorShape) -> String { "[" + s.dims.map(String.init).joined(separator: ", ") + "]" }
        switch instruction {
        case .addConvolution:
            guard let at = pick(imageOutputs, seed, 1) else { return nil }
            let c = at.output.channels
            return "Add a new layer self.conv_new = nn.Conv2d(\(c), \(c * 2), kernel_size=3, padding=1) and call it, followed by F.relu, right after \(at.name) in forward (its output is \(shape(at.output))). The layers after it then get \(c * 2) channels: update their in_channels / in_features."
        case .addNormalization:
            guard let at = pick(convolutions, seed, 2) else { return nil }
            return "Add a new layer self.bn_new = nn.BatchNorm2d(\(at.output.channels)) and call it right after \(at.name) in forward (its output is \(shape(at.output)))."
        case .addPooling:
            guard let at = pick(imageOutputs.filter { $0.output.height >= 4 }, seed, 3) else { return nil }
            return "Add a new layer self.pool_new = nn.MaxPool2d(2) and call it right after \(at.name) in forward (its output \(shape(at.output)) becomes [\(at.output.channels), \(at.output.height / 2), \(at.output.width / 2)]). Update the in_features of the first Linear to match."
        case .addDropout:
            guard let at = lastLinear else { return nil }
            return "Add a new layer self.dropout_new = nn.Dropout(0.25) and call it right before \(at.name) in forward."
        case .addLinear:
            guard let at = lastLinear, case .linear(let i, _, _) = at.layer else { return nil }
            return "Add a hidden layer self.fc_new = nn.Linear(\(i), 128) with F.relu before the last layer \(at.name), and change \(at.name) to take 128 inputs: nn.Linear(128, ...)."
        case .addResidual, .addResiduals:
            let same = imageOutputs.filter { $0.isModule && $0.input == $0.output }
            if let at = pick(same, seed, 4) {
                return "Add a residual connection around \(at.name) (its input and output are both \(shape(at.output))): in forward write `x = x + \(at.name)(x)` instead of `x = \(at.name)(x)`."
            }
            guard let at = pick(imageOutputs, seed, 5) else { return nil }
            let c = at.output.channels
            return "Add a residual block right after \(at.name) (output \(shape(at.output))): define self.res_conv = nn.Conv2d(\(c), \(c), kernel_size=3, padding=1) and in forward write `x = x + F.relu(self.res_conv(x))`."
        case .deleteLayer:
            let deletable = lines.filter { line in
                guard line.isModule, line.name != lastLinear?.name else { return false }
                switch line.layer {
                case .conv2d, .linear, .batchNorm, .dropout, .dropout2d, .maxPool2d, .avgPool2d: return true
                default: return false
                }
            }
            guard let at = pick(deletable, seed, 6) else { return nil }
            return "Delete the layer \(at.name) (\(Self.describe(at.layer))): remove its line in __init__ and its call in forward, and fix the in_channels / in_features of the next layer to what now reaches it."
        case .addLayer:
            guard let at = pick(imageOutputs, seed, 7) else { return task(.addLinear, seed: seed) }
            let c = at.output.channels
            return "Add one new layer right after \(at.name) in forward (its output is \(shape(at.output))), for example self.conv_new = nn.Conv2d(\(c), \(c), kernel_size=3, padding=1) followed by F.relu. Define it in __init__."
        case .grow:
            guard let at = pick(convolutions, seed, 8), case .conv2d(let a) = at.layer else { return nil }
            return "Increase the size drastically: make \(at.name) output \(a.outChannels * 4) channels instead of \(a.outChannels) (and the next layer take \(a.outChannels * 4)), and add a new nn.Conv2d with \(a.outChannels * 4) channels, kernel_size=3, padding=1, after it."
        case .shrink:
            guard let at = pick(convolutions.filter { if case .conv2d(let a) = $0.layer { return a.outChannels >= 4 } else { return false } }, seed, 9),
                  case .conv2d(let a) = at.layer else { return task(.deleteLayer, seed: seed) }
            return "Reduce the size drastically: make \(at.name) output \(max(1, a.outChannels / 4)) channels instead of \(a.outChannels), and the layer after it take \(max(1, a.outChannels / 4))."
        case .improve:
            guard let at = pick(convolutions, seed, 10), case .conv2d(let a) = at.layer else { return task(.addConvolution, seed: seed) }
            return "Improve the accuracy with one change: give \(at.name) \(a.outChannels * 2) output channels instead of \(a.outChannels) (and the next layer \(a.outChannels * 2) inputs), or add a new Conv2d with F.relu after it."
        case .addRecurrent:
            guard let at = pick(imageOutputs, seed, 11) else { return nil }
            let c = at.output.channels
            return "Recurrent layers (RNN, LSTM, GRU) cannot be used here; add a recurrent convolution instead: define self.rec = nn.Conv2d(\(c), \(c), kernel_size=3, padding=1) and right after \(at.name) apply it twice with the same weights: `x = F.relu(self.rec(x))` two times."
        }
    }
}
