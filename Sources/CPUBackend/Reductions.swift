/// Vectorised reductions over raw pointers. Plain Float loops do not vectorise (IEEE order), so these keep
/// SIMD8 partial sums: 8 lanes, a few ulps from the sequential sum and well within the tolerance table.
enum Reduce {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0), i = 0
        while i + 8 <= n { acc += load8(p + i); i += 8 }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Σ (p[i] - center)².
    static func squaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, _ center: Float) -> Float {
        let c = SIMD8<Float>(repeating: center)
        var acc = SIMD8<Float>(repeating: 0), i = 0
        while i + 8 <= n { let d = load8(p + i) - c; acc += d * d; i += 8 }
        var s = acc.sum()
        while i < n { let d = p[i] - center; s += d * d; i += 1 }
        return s
    }

    /// (Σ dy, Σ dy·(x - center)) in one pass.
    static func sumAndCenteredDot(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
                                  _ center: Float) -> (Float, Float) {
        let c = SIMD8<Float>(repeating: center)
        var s = SIMD8<Float>(repeating: 0), d = SIMD8<Float>(repeating: 0), i = 0
        while i + 8 <= n { let g = load8(dy + i); s += g; d += g * (load8(x + i) - c); i += 8 }
        var ss = s.sum(), dd = d.sum()
        while i < n { ss += dy[i]; dd += dy[i] * (x[i] - center); i += 1 }
        return (ss, dd)
    }

    /// (Σ g, Σ g·(x - center)) with g = y > 0 ? dy : 0 (the gradient through a ReLU whose output is y), one pass.
    static func maskedSumAndCenteredDot(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                        _ n: Int, _ center: Float) -> (Float, Float) {
        let c = SIMD8<Float>(repeating: center), zero = SIMD8<Float>(repeating: 0)
        var s = zero, d = zero, i = 0
        while i + 8 <= n {
            let g = load8(dy + i).replacing(with: zero, where: load8(y + i) .<= zero)
            s += g; d += g * (load8(x + i) - c); i += 8
        }
        var ss = s.sum(), dd = d.sum()
        while i < n { let g = y[i] > 0 ? dy[i] : 0; ss += g; dd += g * (x[i] - center); i += 1 }
        return (ss, dd)
    }
}
