import Foundation

/// How the learning rate moves over a run: a pure function of (step, total steps), so a run that resumes from a
/// checkpoint continues on exactly the same curve.
///
/// Every shape may start with a linear warm-up; the warm-up length is `warmupSteps`, or `warmupFraction` of the
/// total when that gives more steps. Steps are 0-based: step `s` is the `s+1`-th optimizer update.
public struct LearningRateSchedule: Hashable, Codable, Sendable, CustomStringConvertible {
    public enum Shape: String, Hashable, Codable, Sendable, CaseIterable {
        /// The peak rate throughout (after warm-up).
        case constant
        /// Half a cosine from the peak down to 0 over the steps after warm-up.
        case cosine
        /// Leslie Smith's one-cycle as PyTorch's OneCycleLR does it (with `anneal_strategy="cos"`): linear
        /// warm-up from peak/25 to the peak (30% of the steps unless told otherwise), then cosine down to 0.
        case oneCycle = "onecycle"
    }

    public var shape: Shape
    public var warmupSteps: Int
    public var warmupFraction: Double

    public init(_ shape: Shape, warmupSteps: Int = 0, warmupFraction: Double = 0) {
        self.shape = shape
        self.warmupSteps = max(0, warmupSteps)
        self.warmupFraction = min(max(0, warmupFraction), 1)
    }

    public static let constant = LearningRateSchedule(.constant)
    public static let cosine = LearningRateSchedule(.cosine)
    public static let oneCycle = LearningRateSchedule(.oneCycle)

    /// One-cycle's default warm-up share (PyTorch's `pct_start`).
    public static let oneCycleDefaultFraction = 0.3
    /// One-cycle starts at peak / this (PyTorch's `div_factor`).
    public static let oneCycleDivisor = 25.0

    /// Warm-up length for a run of `totalSteps`, never the whole run (the last step always gets the main shape).
    public func warmupLength(totalSteps: Int) -> Int {
        var fraction = warmupFraction
        if shape == .oneCycle && warmupSteps == 0 && fraction == 0 { fraction = Self.oneCycleDefaultFraction }
        let fromFraction = Int((fraction * Double(totalSteps)).rounded())
        return min(max(warmupSteps, fromFraction), max(totalSteps - 1, 0))
    }

    /// The multiplier of the peak rate at `step` (0-based) of `totalSteps`; in [0, 1].
    public func factor(step: Int, totalSteps: Int) -> Double {
        let total = max(totalSteps, 1)
        let s = min(max(step, 0), total - 1)
        let warmup = warmupLength(totalSteps: total)
        if s < warmup {
            // Reaches the peak exactly at the first step after warm-up; never 0, so the first update moves.
            let t = Double(s + 1) / Double(warmup + 1)
            if shape == .oneCycle {
                let start = 1 / Self.oneCycleDivisor
                return start + (1 - start) * t
            }
            return t
        }
        switch shape {
        case .constant:
            return 1
        case .cosine, .oneCycle:
            // progress in [0, 1): the last step keeps a small positive rate; the curve reaches 0 one step later.
            let progress = Double(s - warmup) / Double(total - warmup)
            return 0.5 * (1 + cos(Double.pi * progress))
        }
    }

    /// The learning rate at `step` for a peak of `peak`.
    public func rate(step: Int, totalSteps: Int, peak: Double) -> Double {
        peak * factor(step: step, totalSteps: totalSteps)
    }

    /// `cosine`, `cosine, warm-up 100 steps`, `onecycle, warm-up 30%`.
    public var description: String {
        if warmupSteps > 0 { return "\(shape.rawValue), warm-up \(warmupSteps) steps" }
        if warmupFraction > 0 { return "\(shape.rawValue), warm-up \(Int((warmupFraction * 100).rounded()))%" }
        if shape == .oneCycle { return "\(shape.rawValue), warm-up \(Int(Self.oneCycleDefaultFraction * 100))%" }
        return shape.rawValue
    }
}
