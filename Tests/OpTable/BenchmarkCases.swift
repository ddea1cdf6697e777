import Engine
import NetIR

/// The op table at realistic size, for the perf suite (`Perf ops`): per family one graph over the shape a small
/// CNN's hidden layer has (`benchmarkImage` at `benchmarkBatch`), its measured op(s) named anything but the
/// scaffold's `stem` and `head`. The activation family is every `Activation.examples` entry, as in the tests.
/// A new `OpFamily` does not compile until it has its row here.
extension OpTable {
    public static let benchmarkBatch = 32
    public static let benchmarkImage = TensorShape(channels: 16, height: 28, width: 28)
    public static let benchmarkFeatures = 512
    /// Whether an instruction of a benchmark row is the op measured, not scaffolding: the stem (it makes the op's
    /// input need a gradient), the head and its flatten, and the loss and the update, which are measured in their
    /// own families only.
    public static func benchmarkMeasures(_ row: OpCase, node: String) -> Bool {
        if row.family == .optimizer { return node == "optimizer" }
        if row.family == .softmaxLoss { return node == "out" || node == "loss" }
        return !["stem", "head", "flatten", "loss", "optimizer"].contains(node)
    }

    public static func benchmarkCases(_ family: OpFamily) throws -> [OpCase] {
        let image = benchmarkImage, c = image.channels
        let half = TensorShape(channels: c, height: image.height / 2, width: image.width / 2)
        func row(_ name: String, _ input: TensorShape = image, fuse: Bool = false, optimizer: OptimizerConfig = .defaultSGD,
                 _ body: (inout NetworkBuilder, NetworkBuilder.Value) throws -> NetworkBuilder.Value) throws -> OpCase {
            OpCase(family, name, try stemmed(input, body), batches: [benchmarkBatch], fuse: [fuse], optimizer: optimizer)
        }
        switch family {
        case .convolution:
            return [try row("conv 3x3 \(c)->\(c)") { b, x in try b.conv2d("conv", x, out: c, kernel: 3, padding: 1) }]
        case .linear:
            let f = TensorShape(features: benchmarkFeatures)
            return [try row("linear \(f.count)->\(f.count)", f) { b, x in try b.linear("fc", x, out: f.count) }]
        case .batchNorm:
            return [try row("batchNorm2d") { b, x in try b.batchNorm("bn", x) }]
        case .activation:
            return try Activation.examples.map { a in try row("\(a)") { b, x in try b.activation("act", x, a) } }
        case .pooling:
            return [try row("maxPool k2") { b, x in try b.maxPool("maxpool", x, kernel: 2) },
                    try row("avgPool k3 s2 p1") { b, x in try b.avgPool("avgpool", x, kernel: 3, stride: 2, padding: 1) },
                    try row("adaptiveAvgPool 1x1") { b, x in try b.globalAvgPool("gap", x) }]
        case .dropout:
            return [try row("dropout 0.3") { b, x in try b.dropout("drop", x, p: 0.3) }]
        case .addConcat:
            return [try row("add, concat") { b, x in
                try b.concat("cat", [try b.addValues("add", x, try b.relu("relu", x)), x])
            }]
        case .softmaxLoss:
            // The head's loss is measured here (and only here): a row of logits per sample.
            var b = NetworkBuilder(input: TensorShape(features: benchmarkFeatures))
            let logits = try b.linear("stem", b.input, out: benchmarkFeatures)
            return try [Layer.softmax, .logSoftmax].map { layer in
                var g = b
                return OpCase(family, "\(layer.typeName) over \(benchmarkFeatures)", try g.build(output: try g.add("out", layer, [logits])),
                              batches: [benchmarkBatch], fuse: [false])
            } + [OpCase(family, "cross-entropy over \(benchmarkFeatures)", try b.build(output: logits), batches: [benchmarkBatch], fuse: [false])]
        case .optimizer:
            return [try row("SGD momentum", optimizer: .sgd(momentum: 0.9, nesterov: false, weightDecay: 5e-4)) { b, x in
                        try b.conv2d("conv", x, out: c, kernel: 3, padding: 1) },
                    try row("Adam", optimizer: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false)) { b, x in
                        try b.conv2d("conv", x, out: c, kernel: 3, padding: 1) }]
        case .arithmetic:
            return [try row("per-channel gate, affine") { b, x in
                let squeezed = try b.add("view1", .reshape(dims: [c]), [try b.globalAvgPool("pool", x)])
                let gate = try b.add("view2", .reshape(dims: [c, 1, 1]), [try b.activation("gate", squeezed, .sigmoid)])
                return try b.add("affine", .affine(scale: 0.5, shift: -0.25), [try b.add("mul", .multiply, [x, gate])])
            }]
        case .padding:
            return [try row("reflect pad 1") { b, x in
                try b.add("pad", .pad(PadAttributes(left: 1, right: 1, top: 1, bottom: 1, mode: .reflect)), [x])
            }]
        case .rowNorm:
            return [try row("GroupNorm 4/\(c)") { b, x in try b.add("norm", .groupNorm(GroupNormAttributes(groups: 4, channels: c)), [x]) },
                    try row("LayerNorm [\(image.width)]") { b, x in try b.add("norm", .layerNorm(LayerNormAttributes(shape: [image.width])), [x]) }]
        case .localResponseNorm:
            return [try row("LocalResponseNorm 5") { b, x in
                try b.add("lrn", .localResponseNorm(LocalResponseNormAttributes(size: 5)), [x])
            }]
        case .prelu:
            return [try row("PReLU(\(c))") { b, x in try b.add("prelu", .prelu(slopes: c), [x]) }]
        case .slice:
            return [try row("slice half the channels") { b, x in try b.add("slice", .slice(start: 0, count: c / 2), [x]) }]
        case .upsample:
            return [try row("nearest x2", half) { b, x in try b.add("up", .upsample(UpsampleAttributes(scale: Pair(2))), [x]) },
                    try row("bilinear x2", half) { b, x in
                        try b.add("up", .upsample(UpsampleAttributes(scale: Pair(2), bilinear: true)), [x]) }]
        case .convTranspose:
            let a = ConvTranspose2dAttributes(inChannels: c, outChannels: c, kernel: Pair(2), stride: Pair(2))
            return [try row("convTranspose k2 s2", half) { b, x in try b.add("up", .convTranspose2d(a), [x]) }]
        case .permute:
            return [try row("permute to HWC") { b, x in try b.add("hwc", .permute(order: [1, 2, 0]), [x]) }]
        }
    }
}
