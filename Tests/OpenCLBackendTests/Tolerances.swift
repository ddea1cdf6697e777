/// The one tolerance table of the OpenCL tests. Errors are normalised: max |opencl - reference| divided by
/// max(max |reference|, 1e-3) over the compared tensor, so one number fits values of any scale (and
/// the reference accumulates in Double, so the table bounds our Float error alone).
enum Tolerance: Double {
    /// Copies, fills, pools, max-pool argmax, dropout masks: the same Float operations in the same order.
    case exact = 1e-6
    /// ReLU-family, add, scaling: one Float rounding per op against the reference's Double-then-round.
    case elementwise = 2e-6
    /// exp/erf/tanh/log in OpenCL C are allowed 3-16 ulp (OpenCL 1.2 §7.4), the reference uses libm in Double.
    case transcendental = 2e-5
    /// Sums of up to a few thousand Float products (GEMM/conv K, pooled windows, col2im) in an order unlike the
    /// reference's sequential Double sum; relative error grows like sqrt(K) * 2^-24.
    case accumulation = 1e-4
    /// BatchNorm and softmax cross-entropy: Float reductions over batch x spatial, then differences of
    /// near-equal sums in the backward pass (dy - mean dy - xhat * mean(dy xhat)).
    case reduction = 3e-4
    /// Whole built-in networks: the errors above compound through every layer and the optimizer update.
    case network = 2e-3
}
