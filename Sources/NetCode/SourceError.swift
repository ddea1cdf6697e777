import NetIR

/// A problem in network source, located at the token or call that caused it.
public struct SourceError: Error, CustomStringConvertible, Sendable, Equatable {
    public var location: SourceLocation
    public var message: String

    public init(location: SourceLocation, message: String) {
        self.location = location; self.message = message
    }

    /// `file:line:column: message`, the form compilers and editors understand.
    public var description: String { "\(location): \(message)" }
}

/// A network read from source.
public struct ParsedNetwork: Sendable {
    public var graph: Graph
    /// The class that was translated (the network's root module).
    public var className: String
    /// Parameters of modules defined in `__init__` but never called in `forward`. PyTorch still counts them in
    /// `parameters()` and `state_dict()`, so `graph.parameterCount + unusedParameterCount` equals PyTorch's count.
    public var unusedParameters: [ParameterSpec]
    /// Input sizes set from the inferred input (repair mode only; always empty for a strict parse).
    public var repairs: [InputSizeRepair] = []
    /// Modules used in `forward` but never defined, defined from their name (repair mode only).
    public var definedModules: [MissingModuleRepair] = []

    public init(graph: Graph, className: String, unusedParameters: [ParameterSpec]) {
        self.graph = graph; self.className = className; self.unusedParameters = unusedParameters
    }

    public var unusedParameterCount: Int { unusedParameters.reduce(0) { $0 + $1.count } }
    /// What `sum(p.numel() for p in net.parameters())` gives in PyTorch.
    public var totalParameterCount: Int { graph.parameterCount + unusedParameterCount }
}

/// Bounds that keep hostile or broken source from hanging the parser or exhausting memory or stack.
enum Limits {
    /// Nesting of brackets and operators in one expression (Python itself stops at 200 parentheses).
    static let expressionDepth = 64
    /// Nesting of indented blocks.
    static let blockDepth = 40
    /// Statements plus expressions evaluated while instantiating the network and translating `forward`.
    static let steps = 400_000
    /// Nested interpreter frames (user functions, blocks, expressions) at any moment.
    static let evaluationDepth = 300
    /// Graph nodes.
    static let nodes = 10_000
    /// Module instances created.
    static let modules = 10_000
    /// Containers inside containers; bounds the length of `state_dict` paths.
    static let moduleNesting = 64
    /// Elements of any list, tuple or string built during evaluation.
    static let collection = 100_000
    /// Any single size argument: channels, features, kernel, stride, padding (NetIR's bound).
    static let dimension = SizeLimits.dimension
    /// Elements of one layer's output per sample, and parameters of one layer.
    static let tensorElements = SizeLimits.tensorElements
    /// Multiply-adds of one layer per sample; keeps FLOP counts far from overflowing.
    static let layerWork = SizeLimits.layerWork
}
