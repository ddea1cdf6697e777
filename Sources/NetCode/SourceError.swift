import NetIR

/// A problem in network source, located at the token or call that caused it, with what kind of problem it is
/// (callers switch on `kind`, never on the wording), the layer where known and, when a near equivalent exists,
/// what to write instead.
public struct SourceError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Every kind of source problem, one enum for the whole NetCode layer.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Not Python: the tokenizer or parser stopped.
        case syntax
        /// Valid Python outside the subset we evaluate (decorators, tensor-dependent control flow, ...).
        case unsupportedConstruct
        /// A `torch`/`nn`/`F` callable we do not translate.
        case unknownModule
        /// A known layer or function with an argument value we do not translate (`track_running_stats=False`).
        case unsupportedOption
        /// A call whose arguments do not match the signature, or have the wrong type.
        case arguments
        /// A name, attribute or key that is not defined.
        case undefinedName
        /// A Python evaluation error (index out of range, bad operand types, division by zero, ...).
        case evaluation
        /// Layers whose shapes do not fit together.
        case shape
        /// The network class has no usable `forward` (missing, returns nothing or not one tensor).
        case missingForward
        /// No `nn.Module` subclass to translate, or the requested class does not exist.
        case noNetwork
        /// A bound on work, nesting or size (`Limits`) was exceeded.
        case limit
        /// The requested input shape is not one a network can take.
        case input
        /// A fault of ours, not of the source.
        case `internal`
    }

    public var kind: Kind
    public var location: SourceLocation
    public var message: String
    /// The layer (node or module name, or layer type while constructing) the problem belongs to, where known.
    public var layer: String?
    /// What to write instead, when a near equivalent exists (`NearEquivalents`).
    public var hint: String?

    public init(location: SourceLocation, message: String, kind: Kind = .evaluation, layer: String? = nil,
                hint: String? = nil) {
        self.location = location; self.message = message; self.kind = kind; self.layer = layer; self.hint = hint
    }

    /// `file:line:column: message`, the form compilers and editors understand; the hint follows.
    public var description: String {
        "\(location): \(message)" + (hint.map { " (near equivalent: \($0))" } ?? "")
    }
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
    /// Flattens put before a Linear that an image reached (repair mode only).
    public var flattens: [FlattenRepair] = []

    /// Residual skips given a 1x1 projection (repair mode only).
    public var shortcuts: [ShortcutRepair] = []
    /// Statements moved before the flatten (`NetworkSource.parseRepairing` only).
    public var moves: [MisplacedLayerRepair] = []

    /// Every repair made, one line each: statements moved, modules defined or dropped, flattens inserted,
    /// projections added, input sizes set.
    public var repairDescriptions: [String] {
        moves.map(\.description) + definedModules.map(\.description) + flattens.map(\.description)
            + shortcuts.map(\.description) + repairs.map(\.description)
    }

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
