// Seeded random numbers: every shuffle, split, augmentation and synthetic image in this module
// comes from here, so results are a pure function of the seed (never of timing or platform).

/// xoshiro256** seeded through SplitMix64 (the seeding its authors recommend).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        s0 = splitMix64(&sm)
        s1 = splitMix64(&sm)
        s2 = splitMix64(&sm)
        s3 = splitMix64(&sm)
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// A value in `0..<bound` by multiply-shift. Written out (not `Int.random(in:)`) because the
    /// standard library does not promise its algorithm, and our sequences must never change.
    /// The bias is below bound/2^64, far under anything a data pipeline can notice.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}

@inline(__always)
private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

@inline(__always)
private func splitMix64(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Derives an independent seed for a sub-stream (an epoch, the test half of a data set...),
/// so that streams never overlap however many numbers each one draws.
func deriveSeed(_ seed: UInt64, _ stream: UInt64) -> UInt64 {
    var state = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
    return splitMix64(&state)
}

/// Shuffles `values` in place (Fisher–Yates, from the back).
func seededShuffle(_ values: inout [Int], using generator: inout SeededGenerator) {
    var i = values.count - 1
    while i > 0 {
        let j = generator.nextInt(below: i + 1)
        values.swapAt(i, j)
        i -= 1
    }
}

/// A permutation of `0..<n` that depends only on `n` and `seed`.
public func seededPermutation(_ n: Int, seed: UInt64) -> [Int] {
    precondition(n >= 0, "seededPermutation needs n >= 0")
    var values = Array(0..<n)
    var generator = SeededGenerator(seed: seed)
    seededShuffle(&values, using: &generator)
    return values
}
