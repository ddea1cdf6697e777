#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise activations, named as PyTorch names them: the one definition of each (docs/ops.md "registry").
///
/// Everything about an activation that is not a backend's fast loop lives here: its PyTorch class and functional
/// spellings and signatures (NetCode parses and emits through them), its parameters, its forward and derivative
/// formulas in Double (the reference backend and the gradient checks use them as they are), whether its
/// derivative follows from its output (so it may fold into a producer's epilogue), and its kernel code (the
/// OpenCL `ACT_*` number, the case's position in `Activation.kinds`). Adding an activation touches this file,
/// the CPU backend's Float loop (CPUBackend/Activation.swift), Kernels/common.cl and one example in `examples`.
public enum Activation: Hashable, Codable, Sendable, CustomStringConvertible {
    case relu
    case leakyRelu(slope: Float)
    case gelu
    case silu
    case sigmoid
    case tanh
    case elu(alpha: Float)
    case relu6
    case hardtanh(min: Float, max: Float)
    case hardswish
    case hardsigmoid
    case selu
    case celu(alpha: Float)
    case mish
    case softplus(beta: Float, threshold: Float)
    case softsign
    /// `GELU(approximate='tanh')`.
    case geluTanh
    case logSigmoid
    case softshrink(lambda: Float)

    /// One row of the registry: the PyTorch spellings of an activation kind.
    public struct Kind: Sendable, Equatable {
        /// `torch.nn` class name (`LeakyReLU`).
        public let className: String
        /// `torch.nn.functional` name (`leaky_relu`), also the stem of synthesized node names.
        public let functionalName: String
        /// The class's constructor signature in PyTorch's defaults (`negative_slope=0.01, inplace=False`).
        public let moduleSignature: String
        /// The names the parser reads as parameters, in the order `parameters` lists their values.
        public let parameterNames: [String]
        /// Also callable as `torch.<functionalName>` and `x.<functionalName>()`.
        public let onTensor: Bool

        /// The functional form's signature: the input first, then the module's arguments.
        public var functionalSignature: String { moduleSignature.isEmpty ? "input" : "input, " + moduleSignature }
    }

    /// The registry, in kernel-code order: `kinds[k]` has OpenCL code `k + 1` (0 is "no activation").
    /// GELU's two forms share the class `GELU`; `approximate` picks one.
    public static let kinds: [Kind] = [
        Kind(className: "ReLU", functionalName: "relu", moduleSignature: "inplace=False", parameterNames: [], onTensor: true),
        Kind(className: "LeakyReLU", functionalName: "leaky_relu", moduleSignature: "negative_slope=0.01, inplace=False",
             parameterNames: ["negative_slope"], onTensor: false),
        Kind(className: "GELU", functionalName: "gelu", moduleSignature: "approximate='none'", parameterNames: [], onTensor: false),
        Kind(className: "SiLU", functionalName: "silu", moduleSignature: "inplace=False", parameterNames: [], onTensor: false),
        Kind(className: "Sigmoid", functionalName: "sigmoid", moduleSignature: "", parameterNames: [], onTensor: true),
        Kind(className: "Tanh", functionalName: "tanh", moduleSignature: "", parameterNames: [], onTensor: true),
        Kind(className: "ELU", functionalName: "elu", moduleSignature: "alpha=1.0, inplace=False", parameterNames: ["alpha"], onTensor: false),
        Kind(className: "ReLU6", functionalName: "relu6", moduleSignature: "inplace=False", parameterNames: [], onTensor: false),
        Kind(className: "Hardtanh", functionalName: "hardtanh", moduleSignature: "min_val=-1.0, max_val=1.0, inplace=False",
             parameterNames: ["min_val", "max_val"], onTensor: false),
        Kind(className: "Hardswish", functionalName: "hardswish", moduleSignature: "inplace=False", parameterNames: [], onTensor: false),
        Kind(className: "Hardsigmoid", functionalName: "hardsigmoid", moduleSignature: "inplace=False", parameterNames: [], onTensor: false),
        Kind(className: "SELU", functionalName: "selu", moduleSignature: "inplace=False", parameterNames: [], onTensor: false),
        Kind(className: "CELU", functionalName: "celu", moduleSignature: "alpha=1.0, inplace=False", parameterNames: ["alpha"], onTensor: false),
        Kind(className: "Mish", functionalName: "mish", moduleSignature: "inplace=False", parameterNames: [], onTensor: false),
        Kind(className: "Softplus", functionalName: "softplus", moduleSignature: "beta=1.0, threshold=20.0",
             parameterNames: ["beta", "threshold"], onTensor: false),
        Kind(className: "Softsign", functionalName: "softsign", moduleSignature: "", parameterNames: [], onTensor: false),
        Kind(className: "GELU", functionalName: "gelu", moduleSignature: "approximate='none'", parameterNames: [], onTensor: false),
        Kind(className: "LogSigmoid", functionalName: "logsigmoid", moduleSignature: "", parameterNames: [], onTensor: false),
        Kind(className: "Softshrink", functionalName: "softshrink", moduleSignature: "lambd=0.5", parameterNames: ["lambd"], onTensor: false),
    ]

    /// Position in `kinds`; the OpenCL code is `ordinal + 1`.
    public var ordinal: Int {
        switch self {
        case .relu: return 0
        case .leakyRelu: return 1
        case .gelu: return 2
        case .silu: return 3
        case .sigmoid: return 4
        case .tanh: return 5
        case .elu: return 6
        case .relu6: return 7
        case .hardtanh: return 8
        case .hardswish: return 9
        case .hardsigmoid: return 10
        case .selu: return 11
        case .celu: return 12
        case .mish: return 13
        case .softplus: return 14
        case .softsign: return 15
        case .geluTanh: return 16
        case .logSigmoid: return 17
        case .softshrink: return 18
        }
    }

    public var kind: Kind { Self.kinds[ordinal] }

    /// The parameter values, in `kind.parameterNames` order (kernels get them as `param`, `param2`).
    public var parameters: [Float] {
        switch self {
        case .leakyRelu(let s), .softshrink(let s): return [s]
        case .elu(let a), .celu(let a): return [a]
        case .hardtanh(let lo, let hi): return [lo, hi]
        case .softplus(let beta, let threshold): return [beta, threshold]
        case .relu, .gelu, .silu, .sigmoid, .tanh, .relu6, .hardswish, .hardsigmoid, .selu, .mish, .softsign, .geluTanh, .logSigmoid:
            return []
        }
    }

    /// One instance of every kind, with parameters away from their defaults where they have any: the op table's
    /// activation rows, which every backend's tests iterate.
    public static let examples: [Activation] = [
        .relu, .leakyRelu(slope: 0.1), .leakyRelu(slope: -0.3), .gelu, .silu, .sigmoid, .tanh, .elu(alpha: 1), .elu(alpha: 0.4),
        .relu6, .hardtanh(min: -0.5, max: 1.5), .hardswish, .hardsigmoid, .selu, .celu(alpha: 0.7), .mish,
        .softplus(beta: 2, threshold: 1.5), .softsign, .geluTanh, .logSigmoid, .softshrink(lambda: 0.25),
    ]

    /// A parse failure of an activation's arguments, naming the argument.
    public struct ArgumentError: Error, Sendable {
        public let argument: String
        public let message: String
    }

    /// The activation `className(arguments)` builds; nil when `className` is not an activation.
    /// `number` reads a float argument, `text` a string argument (nil when absent or not a string).
    public static func make(className: String, number: (String) throws -> Double, text: (String) -> String?) throws -> Activation? {
        func float(_ name: String) throws -> Float { Float(try number(name)) }
        switch className {
        case "ReLU": return .relu
        case "LeakyReLU": return .leakyRelu(slope: try float("negative_slope"))
        case "GELU":
            switch text("approximate") {
            case "none"?: return .gelu
            case "tanh"?: return .geluTanh
            default: throw ArgumentError(argument: "approximate", message: "approximate must be 'none' or 'tanh'")
            }
        case "SiLU": return .silu
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "ELU": return .elu(alpha: try float("alpha"))
        case "ReLU6": return .relu6
        case "Hardtanh":
            let lo = try float("min_val"), hi = try float("max_val")
            guard lo < hi else { throw ArgumentError(argument: "max_val", message: "max_val must be greater than min_val") }
            return .hardtanh(min: lo, max: hi)
        case "Hardswish": return .hardswish
        case "Hardsigmoid": return .hardsigmoid
        case "SELU": return .selu
        case "CELU":
            let a = try float("alpha")
            guard a != 0 else { throw ArgumentError(argument: "alpha", message: "ZeroDivisionError: alpha cannot be 0 for CELU") }
            return .celu(alpha: a)
        case "Mish": return .mish
        case "Softplus":
            let beta = try float("beta")
            guard beta != 0 else { throw ArgumentError(argument: "beta", message: "beta must not be 0") }
            return .softplus(beta: beta, threshold: try float("threshold"))
        case "Softsign": return .softsign
        case "LogSigmoid": return .logSigmoid
        case "Softshrink":
            let lambda = try float("lambd")
            guard lambda >= 0 else { throw ArgumentError(argument: "lambd", message: "lambda must be greater or equal to 0") }
            return .softshrink(lambda: lambda)
        default: return nil
        }
    }

    /// The module expression PyTorch users write (`nn.LeakyReLU(0.2)`), defaults left out.
    public var moduleExpression: String {
        "nn.\(kind.className)(" + keywordArguments(positionalFirst: true).joined(separator: ", ") + ")"
    }

    /// The functional expression on `x` (`F.leaky_relu(x, 0.2)`, `torch.sigmoid(x)`); the flag says whether it
    /// needs `import torch.nn.functional as F`.
    public func functionalExpression(_ x: String) -> (text: String, needsF: Bool) {
        let useTorch = self == .sigmoid || self == .tanh
        let args = [x] + keywordArguments(positionalFirst: false)
        return ((useTorch ? "torch." : "F.") + kind.functionalName + "(" + args.joined(separator: ", ") + ")", !useTorch)
    }

    /// Non-default arguments: the first positionally where the class takes it so (LeakyReLU's slope).
    private func keywordArguments(positionalFirst: Bool) -> [String] {
        switch self {
        case .leakyRelu(let s):
            return s == Float(0.01) ? [] : [positionalFirst ? "\(s)" : "negative_slope=\(s)"]
        case .elu(let a), .celu(let a): return a == 1 ? [] : ["alpha=\(a)"]
        case .hardtanh(let lo, let hi):
            return (lo == -1 ? [] : ["min_val=\(lo)"]) + (hi == 1 ? [] : ["max_val=\(hi)"])
        case .softplus(let beta, let threshold):
            return (beta == 1 ? [] : ["beta=\(beta)"]) + (threshold == 20 ? [] : ["threshold=\(threshold)"])
        case .geluTanh: return ["approximate='tanh'"]
        case .softshrink(let l): return l == 0.5 ? [] : [positionalFirst ? "\(l)" : "lambd=\(l)"]
        case .relu, .gelu, .silu, .sigmoid, .tanh, .relu6, .hardswish, .hardsigmoid, .selu, .mish, .softsign, .logSigmoid: return []
        }
    }

    /// SELU's constants, as PyTorch defines them.
    public static let seluAlpha = 1.6732632423543772848170429916717
    public static let seluScale = 1.0507009873554804934193349852946
    /// √(2/π), GELU's tanh approximation.
    public static let geluTanhK = 0.7978845608028654

    /// act(x), the definition (PyTorch's formulas, Double).
    public func forward(_ x: Double) -> Double {
        switch self {
        case .relu: return x > 0 ? x : 0
        case .leakyRelu(let s): return x > 0 ? x : Double(s) * x
        case .gelu: return x * Self.normalCDF(x)
        case .silu: return x * Self.sigmoid(x)
        case .sigmoid: return Self.sigmoid(x)
        case .tanh: return hyperbolicTangent(x)
        case .elu(let a): return x > 0 ? x : Double(a) * expm1(x)
        case .relu6: return Swift.min(Swift.max(x, 0), 6)
        case .hardtanh(let lo, let hi): return Swift.min(Swift.max(x, Double(lo)), Double(hi))
        case .hardswish: return x * Swift.min(Swift.max(x + 3, 0), 6) / 6
        case .hardsigmoid: return Swift.min(Swift.max(x + 3, 0), 6) / 6
        case .selu: return Self.seluScale * (x > 0 ? x : Self.seluAlpha * expm1(x))
        case .celu(let a): return x > 0 ? x : Double(a) * expm1(x / Double(a))
        case .mish: return x * hyperbolicTangent(Self.softplus(x))
        case .softplus(let beta, let threshold):
            let b = Double(beta)
            return b * x > Double(threshold) ? x : Self.softplus(b * x) / b
        case .softsign: return x / (1 + abs(x))
        case .geluTanh:
            let t = hyperbolicTangent(Self.geluTanhK * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + t)
        case .logSigmoid: return -Self.softplus(-x)
        case .softshrink(let l): return x > Double(l) ? x - Double(l) : (x < -Double(l) ? x + Double(l) : 0)
        }
    }

    /// d act / d x at the input x (PyTorch's choice at kinks: the derivative of the flat side).
    public func derivative(_ x: Double) -> Double {
        switch self {
        case .relu: return x > 0 ? 1 : 0
        case .leakyRelu(let s): return x > 0 ? 1 : Double(s)
        case .gelu: return Self.normalCDF(x) + x * Self.normalPDF(x)
        case .silu: let s = Self.sigmoid(x); return s * (1 + x * (1 - s))
        case .sigmoid: let s = Self.sigmoid(x); return s * (1 - s)
        case .tanh: let t = hyperbolicTangent(x); return 1 - t * t
        case .elu(let a): return x > 0 ? 1 : Double(a) * exp(x)
        case .relu6: return x > 0 && x < 6 ? 1 : 0
        case .hardtanh(let lo, let hi): return x > Double(lo) && x < Double(hi) ? 1 : 0
        case .hardswish: return x <= -3 ? 0 : (x < 3 ? x / 3 + 0.5 : 1)
        case .hardsigmoid: return x > -3 && x < 3 ? 1.0 / 6 : 0
        case .selu: return x > 0 ? Self.seluScale : Self.seluScale * Self.seluAlpha * exp(x)
        case .celu(let a): return x > 0 ? 1 : exp(x / Double(a))
        case .mish:
            let t = hyperbolicTangent(Self.softplus(x))
            return t + x * Self.sigmoid(x) * (1 - t * t)
        case .softplus(let beta, let threshold):
            let b = Double(beta)
            return b * x > Double(threshold) ? 1 : Self.sigmoid(b * x)
        case .softsign: let d = 1 + abs(x); return 1 / (d * d)
        case .geluTanh:
            let inner = Self.geluTanhK * (x + 0.044715 * x * x * x)
            let t = hyperbolicTangent(inner)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Self.geluTanhK * (1 + 3 * 0.044715 * x * x)
        case .logSigmoid: return Self.sigmoid(-x)
        case .softshrink(let l): return abs(x) > Double(l) ? 1 : 0
        }
    }

    /// d act / d x from the output y, for the activations whose output determines it (nil otherwise).
    public func derivative(fromOutput y: Double) -> Double? {
        switch self {
        case .relu: return y > 0 ? 1 : 0
        case .leakyRelu(let s): return s > 0 ? (y > 0 ? 1 : Double(s)) : nil
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        case .elu(let a): return a > 0 ? (y > 0 ? 1 : y + Double(a)) : nil
        case .relu6: return y > 0 && y < 6 ? 1 : 0
        case .selu: return y > 0 ? Self.seluScale : y + Self.seluScale * Self.seluAlpha
        case .celu(let a): return a > 0 ? (y > 0 ? 1 : y / Double(a) + 1) : nil
        case .softsign: let d = 1 - abs(y); return d * d
        case .logSigmoid: return -expm1(y)
        case .softshrink: return y != 0 ? 1 : 0
        case .gelu, .silu, .hardswish, .hardsigmoid, .mish, .geluTanh: return nil
        // Determined by the output, but the fused epilogues carry one parameter and these take two.
        case .hardtanh, .softplus: return nil
        }
    }

    /// True when the derivative can be computed from the output alone, so the activation can be fused
    /// into the producing layer's epilogue without keeping the pre-activation tensor.
    public var differentiableFromOutput: Bool { derivative(fromOutput: 0.5) != nil }

    public var description: String {
        let p = parameters
        if self == .geluTanh { return "GELU(tanh)" }
        return p.isEmpty ? kind.className : kind.className + "(" + p.map { "\($0)" }.joined(separator: ", ") + ")"
    }

    public static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    /// log(1 + eˣ) without overflow.
    public static func softplus(_ x: Double) -> Double { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }
    /// Standard normal CDF Φ and density φ, for the exact GELU.
    public static func normalCDF(_ x: Double) -> Double { 0.5 * (1 + erf(x / 2.0.squareRoot())) }
    public static func normalPDF(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }
}

/// `tanh` from the C library (inside `Activation` the name is the case).
private func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
