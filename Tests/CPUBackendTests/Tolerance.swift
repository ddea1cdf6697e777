import Engine
import NetIR

/// Every tolerance of the CPU-against-reference comparisons, as a normalised error
/// `max|cpu - reference| / max(1, max|reference|)`, each with the reason for its size. The reference sums in
/// Double and rounds once, so its values are the exact results rounded to Float; the CPU backend sums in Float.
enum Tolerance {
    struct Entry: CustomStringConvertible {
        let value: Double
        let reason: String
        var description: String { "\(value) (\(reason))" }
    }

    static let exact = Entry(value: 1e-6, reason:
        "the same formula with one or two Float roundings: copy, concat, add, relu/leaky, max pool, dropout, fill, SGD")
    static let transcendental = Entry(value: 1e-5, reason:
        "Float exp/erf/tanh are 1-2 ulp each and an activation or its derivative chains up to four of them")
    static let smallSums = Entry(value: 1e-5, reason:
        "Float sums of tens of terms (average pools, softmax rows, the loss over the batch) and Adam's sqrt/divide")
    static let blas = Entry(value: 1e-4, reason:
        "BLAS reorders Float sums of K <= ~600 products: ~sqrt(K)·6e-8 typical, K·6e-8 worst, against Double sums")
    static let batchNorm = Entry(value: 1e-4, reason:
        "Float mean/variance over up to ~500 values, then x̂ = (x - mean)·invstd amplifies the mean's error by invstd")
    static let graph = Entry(value: 1e-3, reason:
        "a whole train step of a few-layer graph: each op's rounding passes through the later ops and back")
    static let network = Entry(value: 3e-3, reason:
        "three train steps of a built-in network: graph-level errors of each step move the next step's parameters")
    static let networkGradients = Entry(value: 3e-2, reason:
        "gradients of a whole network: a ReLU input within ~1e-7 of 0 rounds to the other side on one backend and " +
        "routes a different dy (seen: resnet8 s1_relu2, 6e-3 in s1_conv2.weight); each op is held to its own bound " +
        "by the instruction-level comparison instead")
    static let sameKernels = Entry(value: 1e-6, reason:
        "the CPU's own kernels on the same inputs, whole program against one instruction at a time: only a " +
        "different split of a sum between threads may change the last bit")

    /// The bound for one instruction's outputs.
    static func of(_ op: Op) -> Entry {
        switch op {
        case .conv2d, .conv2dBackwardData, .conv2dBackwardFilter, .linear, .linearBackwardData, .linearBackwardFilter:
            return blas
        case .batchNorm, .batchNormBackward, .rowNorm, .rowNormBackward:
            return batchNorm
        case .activation(let a), .activationBackward(let a, _):
            return isPiecewiseLinear(a) ? exact : transcendental
        case .avgPool, .avgPoolBackward, .adaptiveAvgPool, .adaptiveAvgPoolBackward, .softmax, .softmaxBackward,
             .softmaxCrossEntropy:
            return smallSums
        case .optimizer(let c):
            if case .adam = c { return smallSums }
            return exact
        case .maxPool, .maxPoolBackward, .dropout, .dropoutBackward, .add, .concat, .concatBackward, .copy, .fill,
             .multiply, .affine:
            return exact
        case .multiplyBackward(_, let ofBroadcast):
            return ofBroadcast ? smallSums : exact
        case .prelu:
            return exact
        case .preluBackward:
            return smallSums   // dSlopes: a Float sum over batch x spatial (dx alone is exact)
        case .localResponseNorm, .localResponseNormBackward:
            return transcendental   // Float pow of a window sum (Double here, Double in the reference)
        case .pad:
            return exact
        case .padBackward:
            return smallSums   // reflect/replicate add several outputs into one input (a replicate corner: its whole border block)
        }
    }

    static func isPiecewiseLinear(_ a: Activation) -> Bool {
        switch a {
        case .relu, .leakyRelu, .relu6, .hardtanh: return true
        default: return false
        }
    }
}
