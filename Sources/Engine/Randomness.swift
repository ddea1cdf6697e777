/// Counter-based random numbers: value = hash(seed, step, salt, index). Every backend computes dropout masks
/// from this exact function, so the CPU and OpenCL backends drop the same units for the same seed and step.
public enum CounterRandom {
    /// A 32-bit mixing function (lowbias32 by Chris Wellons' hash-prospector constants).
    @inline(__always)
    public static func mix(_ v: UInt32) -> UInt32 {
        var x = v
        x ^= x >> 16
        x &*= 0x7feb352d
        x ^= x >> 15
        x &*= 0x846ca68b
        x ^= x >> 16
        return x
    }

    /// Uniform in [0, 1) with 24 bits of resolution.
    @inline(__always)
    public static func uniform(seed: UInt32, step: UInt32, salt: UInt32, index: UInt32) -> Float {
        let h = mix(mix(mix(seed ^ 0x9e3779b9) ^ step &+ salt &* 0x85ebca6b) ^ index)
        return Float(h >> 8) * (1.0 / 16_777_216.0)
    }
}

/// SplitMix64: a small seeded generator for parameter initialisation.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
    /// Uniform in [-bound, bound).
    public mutating func uniform(_ bound: Float) -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0) * 2 * bound - bound
    }
}
