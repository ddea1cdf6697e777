/// The update rule, with PyTorch's semantics so hyper-parameters carry over.
public enum OptimizerConfig: Hashable, Codable, Sendable {
    /// torch.optim.SGD: g += wd*p; v = momentum*v + g; step = nesterov ? g + momentum*v : v; p -= lr*step.
    case sgd(momentum: Float, nesterov: Bool, weightDecay: Float)
    /// torch.optim.Adam (decoupled == false: g += wd*p) or AdamW (decoupled: p *= 1 - lr*wd), with bias correction.
    case adam(beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool)

    public static let defaultSGD = OptimizerConfig.sgd(momentum: 0.9, nesterov: false, weightDecay: 0)
    public static let defaultAdam = OptimizerConfig.adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false)

    /// Copies of the parameter region the rule keeps (momentum; Adam's m and v).
    public var stateCopies: Int {
        switch self {
        case .sgd(let m, _, _): return m == 0 ? 0 : 1
        case .adam: return 2
        }
    }
}
