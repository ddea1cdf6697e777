/// The bounds of the reference's own checks (EngineTests: finite differences, values recomputed in Double or by
/// hand), each with the reason for its size. The backends' bounds against the reference are `Tolerances`.
public enum ReferenceChecks {
    /// Finite-difference step for parameters of size ~0.1..1. The loss is a Float32 forward pass (rounding noise
    /// ~2e-7 on a loss of ~1), so the central difference carries noise ~2e-7 / (2h) = 2e-5; its truncation error
    /// h²/6·f''' is ~4e-6·f'''. 5e-3 balances the two.
    public static let finiteDifferenceStep: Float = 5e-3
    /// Retry step when the first comparison fails: a ReLU/max-pool kink within h of the point makes the central
    /// difference straddle it; a 5x smaller step rarely does (noise grows 5x, hence the looser absolute bound).
    public static let finiteDifferenceRetryStep: Float = 1e-3
    /// Relative bound on |numeric - analytic| / |analytic|: Float32 forward, central differences (see above).
    public static let gradientRelative = 2e-2
    /// Absolute bound for small components, where the relative bound is meaningless: ~5x the 2e-5 noise.
    public static let gradientAbsolute = 1e-4
    /// Absolute bound at the retry step: noise ~2e-7 / 2e-3 = 1e-4, so 5x that.
    public static let gradientAbsoluteRetry = 5e-4
    /// Last resort for a component whose parameter moves hundreds of ReLU units at once (a bias of a conv applied
    /// twice): kinks lie ~1e-3 apart, so only a step below that sees the smooth piece around the point.
    public static let finiteDifferenceFineStep: Float = 2e-4
    /// Absolute bound at the fine step: Float noise ~3e-7 / 4e-4 ≈ 8e-4 on the quotient, so 2.5x that.
    public static let gradientAbsoluteFine = 2e-3
    /// A parameter tensor must have some component at least this large, or its check proves nothing.
    public static let gradientSignal = 1e-4

    /// Optimizer and batch-norm statistics recomputed in Double by the test from the same Float inputs: the only
    /// difference is the final Float rounding of each stored value (relative 6e-8) plus one or two ulps of
    /// intermediate Float values the backend reads back (momentum, running stats): 1e-6 relative.
    public static let recomputed = 1e-6
    /// Values worked out by hand (or to 8 significant digits from closed forms) against Float results: a Float
    /// carries relative 6e-8, and a few Float operations (a sum of four products, a division) add a few ulps.
    public static let handComputed = 1e-6
    /// Results that are exactly representable and computed exactly (max pool, concatenation, a sum of small
    /// integers), and Double identities.
    public static let exact = 0.0
    /// Loss/metrics recomputed in Double from known logits; the metrics region is Float (relative 6e-8).
    public static let metrics = 1e-6
}

/// |a - b| within `absolute`, or within `relative` of the larger magnitude.
public func close(_ a: Double, _ b: Double, relative: Double, absolute: Double = 0) -> Bool {
    let d = abs(a - b)
    return d <= absolute || d <= relative * max(abs(a), abs(b))
}
