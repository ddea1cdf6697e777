/// The search's own seeded generator (SplitMix64). Its state is a plain integer, so a generator can be
/// re-derived from (run seed, generation, candidate) after a resume instead of being saved and restored.
public struct SearchRandom: RandomNumberGenerator, Sendable, Codable, Hashable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one purpose of one run: the same (seed, salts) always give the same stream, and
    /// neighbouring salts give unrelated streams.
    public init(seed: UInt64, _ salts: UInt64...) {
        var s = seed
        for salt in salts {
            var g = SearchRandom(seed: s ^ (salt &* 0x9e37_79b9_7f4a_7c15))
            s = g.next()
        }
        state = s
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 bits; written out so the sequence never depends on the standard library.
    public mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double { lower + (upper - lower) * unit() }

    /// Uniform in 0..<bound (bound > 0; returns 0 otherwise).
    public mutating func below(_ bound: Int) -> Int {
        guard bound > 0 else { return 0 }
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    public mutating func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[below(items.count)] }
}
