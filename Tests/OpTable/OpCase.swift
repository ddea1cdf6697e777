import Engine
import NetIR

/// The op families of the table; each backend's tests run one test per family (`OpTable.cases(family)`).
public enum OpFamily: String, CaseIterable, Sendable {
    case convolution, linear, batchNorm, activation, pooling, dropout, addConcat, softmaxLoss, optimizer
    case arithmetic, padding, rowNorm, localResponseNorm, prelu, slice, upsample, convTranspose, permute
}

/// One row of the op table: a small graph that exercises its ops (forward, every gradient, the update) at
/// awkward sizes, with the plan settings it runs under. Every backend compares it with the reference, each
/// instruction within `Tolerances.of(op, on: backend)`.
public struct OpCase: Sendable {
    public let family: OpFamily
    public let name: String
    public let graph: Graph
    public var batches: [Int]
    public var fuse: [Bool]
    public var optimizer: OptimizerConfig
    public var smoothing: Float
    public var learningRate: Float
    public var steps: Int

    public init(_ family: OpFamily, _ name: String, _ graph: Graph, batches: [Int], fuse: [Bool] = [true, false],
                optimizer: OptimizerConfig = .defaultSGD, smoothing: Float = 0, learningRate: Float = 0.05, steps: Int = 1) {
        self.family = family
        self.name = name
        self.graph = graph
        self.batches = batches
        self.fuse = fuse
        self.optimizer = optimizer
        self.smoothing = smoothing
        self.learningRate = learningRate
        self.steps = steps
    }
}

/// The op table's graphs, by family (the shapes: channel and feature counts 1, 3, 31..33, 63..65, odd sizes,
/// strides, padding, dilation, groups; batches 1, 2, 3, 5; a padding label in batches of 3 or more).
public enum OpTable {
    public static func cases(_ family: OpFamily) throws -> [OpCase] {
        switch family {
        case .convolution: return try convolutionCases()
        case .linear: return try linearCases()
        case .batchNorm: return try batchNormCases()
        case .activation: return try activationCases()
        case .pooling: return try poolingCases()
        case .dropout: return try dropoutCases()
        case .addConcat: return try addConcatCases()
        case .softmaxLoss: return try softmaxLossCases()
        case .optimizer: return try optimizerCases()
        case .arithmetic: return try arithmeticCases()
        case .padding: return try paddingCases()
        case .rowNorm: return try rowNormCases()
        case .localResponseNorm: return try localResponseNormCases()
        case .prelu: return try preluCases()
        case .slice: return try sliceCases()
        case .upsample: return try upsampleCases()
        case .convTranspose: return try convTransposeCases()
        case .permute: return try permuteCases()
        }
    }

    /// Every case of every family.
    public static func all() throws -> [OpCase] { try OpFamily.allCases.flatMap { try cases($0) } }

    static func image(_ c: Int, _ h: Int, _ w: Int) -> TensorShape { TensorShape(channels: c, height: h, width: w) }

    /// `input -> body -> (flatten) -> linear(3)`.
    static func classifier(_ input: TensorShape, _ body: (inout NetworkBuilder, NetworkBuilder.Value) throws -> NetworkBuilder.Value) throws -> Graph {
        var b = NetworkBuilder(input: input)
        var x = try body(&b, b.input)
        if b.shape(of: x).rank != 1 { x = try b.flatten("flatten", x) }
        return try b.build(output: try b.linear("head", x, out: 3))
    }

    /// `input -> stem (1x1 conv, or linear for features) -> body -> head`: the stem makes the op's input require a
    /// gradient, so its backward-data runs too.
    static func stemmed(_ input: TensorShape, bias: Bool = true,
                        _ body: (inout NetworkBuilder, NetworkBuilder.Value) throws -> NetworkBuilder.Value) throws -> Graph {
        try classifier(input) { b, x in
            let stem = input.rank == 1 ? try b.linear("stem", x, out: input.count, bias: bias)
                                       : try b.conv2d("stem", x, out: input.channels, kernel: 1, bias: bias)
            return try body(&b, stem)
        }
    }
}
