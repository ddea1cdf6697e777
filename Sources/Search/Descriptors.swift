import NetIR

/// Where a network sits in the network archive. Both axes are log scales, because depth/width and FLOPs of
/// plausible networks both span orders of magnitude: a linear scale would squeeze nearly every network into
/// a corner and leave most niches unreachable.
public struct DescriptorSpace: Codable, Sendable, Hashable {
    /// log10(depth / width) mapped from this range onto [0, 1] (default 0.003 ... 3).
    public var log10RatioRange: ClosedRange<Double>
    /// log10(FLOPs per sample) mapped from this range onto [0, 1] (default 10 kFLOPs ... 1 GFLOPs).
    public var log10FlopsRange: ClosedRange<Double>

    public init(log10RatioRange: ClosedRange<Double> = -2.5...0.5, log10FlopsRange: ClosedRange<Double> = 4...9) {
        self.log10RatioRange = log10RatioRange; self.log10FlopsRange = log10FlopsRange
    }

    /// The normalised descriptor (clamped into the box).
    public func descriptor(_ cost: NetworkCost) -> [Double] {
        descriptor(ratio: cost.depthWidthRatio, flops: Double(cost.flops))
    }

    public func descriptor(ratio: Double, flops: Double) -> [Double] {
        [Self.scale(log10(max(ratio, 1e-9)), log10RatioRange), Self.scale(log10(max(flops, 1)), log10FlopsRange)]
    }

    static func scale(_ x: Double, _ r: ClosedRange<Double>) -> Double {
        let span = r.upperBound - r.lowerBound
        guard span > 0 else { return 0 }
        return min(max((x - r.lowerBound) / span, 0), 1)
    }
}

/// What the network archive maximises.
public enum FitnessMetric: String, Codable, Sendable, CaseIterable {
    case accuracy
    /// Negative validation loss.
    case loss

    public func fitness(accuracy: Double, loss: Double) -> Double {
        switch self {
        case .accuracy: return accuracy
        case .loss: return loss.isFinite ? -loss : -.infinity
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
