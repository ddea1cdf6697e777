import Engine
import NetIR

/// The backends held to the reference by the op table.
public enum TestedBackend: String, CaseIterable, Sendable {
    case cpu, openCL
}

/// A bound on the normalised error `max|candidate - reference| / max(1, max|reference|)` of one tensor, with the
/// reason for its size. The reference sums in Double and rounds once, so its values are the exact results
/// rounded to Float: the bound covers the candidate's own Float error alone. (The floor of 1 keeps the measure
/// meaningful for gradients near 0, where any Float sum with cancellation has a large relative error.)
public struct Tolerance: CustomStringConvertible, Sendable {
    public let value: Double
    public let reason: String
    public init(_ value: Double, _ reason: String) {
        self.value = value
        self.reason = reason
    }
    public var description: String { "\(value) (\(reason))" }
}

/// The one tolerance table of the backend tests: one bound per (op, backend), and the bounds of whole steps.
public enum Tolerances {
    /// The bound for one instruction's outputs on `backend`, fed the reference's inputs.
    public static func of(_ op: Op, on backend: TestedBackend) -> Tolerance {
        let row = pair(op)
        switch backend {
        case .cpu: return row.cpu
        case .openCL: return row.openCL
        }
    }

    /// One row per op: (CPU, OpenCL).
    static func pair(_ op: Op) -> (cpu: Tolerance, openCL: Tolerance) {
        switch op {
        case .conv2d, .conv2dBackwardData, .conv2dBackwardFilter, .linear, .linearBackwardData, .linearBackwardFilter:
            return (CPU.blas, OpenCL.gemm)
        case .batchNorm, .batchNormAdd, .batchNormBackward, .batchNormReluBackward, .rowNorm, .rowNormBackward:
            // batchNormReluBackward: the same sums over dy masked by an exact comparison.
            return (CPU.statistics, OpenCL.statistics)
        case .activation(let a), .activationBackward(let a, _):
            return isPiecewiseLinear(a) ? (CPU.exact, OpenCL.elementwise) : (CPU.transcendental, OpenCL.transcendental)
        case .avgPool, .avgPoolBackward, .adaptiveAvgPool, .adaptiveAvgPoolBackward:
            return (CPU.smallSums, OpenCL.windowSums)
        case .softmax, .softmaxBackward:
            return (CPU.smallSums, OpenCL.transcendental)
        case .softmaxCrossEntropy:
            return (CPU.smallSums, OpenCL.statistics)
        case .optimizer(let c):
            if case .adam = c { return (CPU.smallSums, OpenCL.transcendental) }
            return (CPU.exact, OpenCL.elementwise)
        case .maxPool, .maxPoolBackward, .maxPoolReluBackward, .concat, .concatBackward, .copy, .fill, .pad, .permute:
            return (CPU.exact, OpenCL.exact)
        case .dropout, .dropoutBackward, .add, .multiply, .affine, .prelu, .channelBias:
            return (CPU.exact, OpenCL.elementwise)
        case .multiplyBackward(_, let ofBroadcast):
            return ofBroadcast ? (CPU.smallSums, OpenCL.workGroupSums) : (CPU.exact, OpenCL.elementwise)
        case .preluBackward, .channelBiasBackward:
            // dSlopes / dBias: a Float sum over batch x spatial (dx alone is exact).
            return (CPU.smallSums, OpenCL.workGroupSums)
        case .localResponseNorm, .localResponseNormBackward:
            return (CPU.transcendental, OpenCL.transcendental)   // a Float pow of a window sum
        case .padBackward:
            // reflect/replicate add several outputs into one input (a replicate corner: its whole border block).
            return (CPU.smallSums, OpenCL.workGroupSums)
        case .upsample, .upsampleBackward:
            // bilinear: four weighted taps forward, Float sums of a few products per input backward.
            return (CPU.smallSums, OpenCL.windowSums)
        }
    }

    /// ReLU-like activations: one comparison and at most one product or sum, so one Float rounding. Every
    /// activation has its row here (no `default:`): a new one does not compile until its bound is chosen.
    public static func isPiecewiseLinear(_ a: Activation) -> Bool {
        switch a {
        case .relu, .leakyRelu, .relu6, .hardtanh, .softshrink: return true
        case .gelu, .silu, .sigmoid, .tanh, .elu, .hardswish, .hardsigmoid, .selu, .celu, .mish, .softplus, .softsign,
             .geluTanh, .logSigmoid:
            return false
        }
    }

    /// A whole train step of a few-layer graph (parameters, statistics, metrics, logits after it). Each op is held
    /// to its own, tighter bound by the instruction-level comparison; the step comparison is there for what only a
    /// whole program gets wrong (order, aliasing, the step counter), which shows as errors of order 1.
    public static func graph(on backend: TestedBackend) -> Tolerance {
        Tolerance(1e-3, "a whole train step of a few-layer graph: each op's rounding passes through the later ops and back")
    }

    /// Two or three train steps of a built-in network.
    public static func network(on backend: TestedBackend) -> Tolerance {
        switch backend {
        case .cpu:
            return Tolerance(3e-3, "three train steps of a built-in network: graph-level errors of each step move the next step's parameters")
        case .openCL:
            return Tolerance(2e-3, "two train steps of a built-in network, every region compared (each scaled by its own " +
                             "largest value): the per-op errors compound through every layer and the optimizer update")
        }
    }

    /// Parameter gradients of a whole network.
    public static func networkGradients(on backend: TestedBackend) -> Tolerance {
        Tolerance(3e-2, "gradients of a whole network: a ReLU input within ~1e-7 of 0 rounds to the other side on one backend " +
                  "and routes a different dy (seen on the CPU: resnet8 s1_relu2, 6e-3 in s1_conv2.weight); each op is held to " +
                  "its own bound by the instruction-level comparison instead")
    }

    /// A backend's whole program against its own kernels run one instruction at a time on its own values.
    public static func sameKernels(on backend: TestedBackend) -> Tolerance {
        Tolerance(1e-6, "the backend's own kernels on the same inputs, whole program against one instruction at a time: only " +
                  "a different split of a sum between threads or work-groups may change the last bit")
    }

    /// The reference's one train step against PyTorch in float64 (ReferencePyTorchTests): logits, loss, every
    /// parameter gradient and the updated running statistics of each op-table row.
    public static let referenceAgainstPyTorch = Tolerance(5e-5,
        "the reference rounds each op's result to Float (relative 6e-8) and the later ops carry that rounding forward " +
        "and back; PyTorch runs in float64, so only our Float storage separates the two. Most rows stay below 7e-6; a " +
        "norm over two values (GroupNorm 3/6 on 1x1) has invstd up to ~1e2, which amplifies the stem output's rounding " +
        "into its gradient (seen 2.5e-5). A wrong formula gives errors of 1e-2 and more")

    /// Entries of the CPU backend (BLAS for GEMMs, Swift SIMD loops elsewhere).
    public enum CPU {
        public static let exact = Tolerance(1e-6,
            "the same formula with one or two Float roundings: copy, concat, add, relu/leaky, max pool, dropout, fill, SGD")
        public static let transcendental = Tolerance(1e-5,
            "Float exp/erf/tanh are 1-2 ulp each and an activation or its derivative chains up to four of them")
        public static let smallSums = Tolerance(1e-5,
            "Float sums of tens of terms (average pools, softmax rows, the loss over the batch) and Adam's sqrt/divide")
        public static let blas = Tolerance(1e-4,
            "BLAS reorders Float sums of K <= ~600 products: ~sqrt(K)·6e-8 typical, K·6e-8 worst, against Double sums; " +
            "Winograd F(2x2,3x3) adds Float sums of 4x4 tiles before and after its K = C_in products (a few times im2col's error; " +
            "seen 2e-7 against Double sums), F(4x4,3x3) of 6x6 tiles with factors up to 8 and 1/24 (seen 3e-6)")
        public static let statistics = Tolerance(1e-4,
            "Float mean/variance over up to ~500 values, then x̂ = (x - mean)·invstd amplifies the mean's error by invstd")
    }

    /// Entries of the OpenCL backend (our kernels; PoCL in the tests).
    public enum OpenCL {
        public static let exact = Tolerance(1e-6,
            "copies, fills, max-pool values and argmax, pads, permutes: the same Float values moved, nothing computed")
        public static let elementwise = Tolerance(2e-6,
            "ReLU-family, add, scaling, dropout masks, SGD: one or two Float roundings per element against the reference's " +
            "Double-then-round (the device may contract a multiply-add where the reference rounds twice)")
        public static let windowSums = Tolerance(1e-5,
            "average pools and bilinear taps: Float sums of a window's few terms (or their spread back), then a divide")
        public static let transcendental = Tolerance(2e-5,
            "exp/erf/tanh/log/pow/sqrt in OpenCL C are allowed 3-16 ulp (OpenCL 1.2 §7.4); the reference uses libm in Double")
        public static let gemm = Tolerance(1e-4,
            "GEMM and convolution: Float sums of up to a few thousand products (K, col2im) in an order unlike the " +
            "reference's sequential Double sum; relative error grows like sqrt(K)·2^-24")
        public static let workGroupSums = Tolerance(1e-4,
            "reductions over batch x spatial in work-group trees (dSlopes, dBias, a gate's gradient, pad's scatter-add)")
        public static let statistics = Tolerance(3e-4,
            "BatchNorm, row norms and softmax cross-entropy: Float reductions over batch x spatial, then differences of " +
            "near-equal sums in the backward pass (dy - mean dy - x̂·mean(dy x̂))")
    }
}
