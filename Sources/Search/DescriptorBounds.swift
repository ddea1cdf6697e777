import Foundation
import NetIR

/// Descriptor bounds from what a child of this run can be, instead of fixed raw ranges (which left most of the
/// heat map unreachable: children piled into a few cells of one corner).
///
/// FLOPs per sample: from a linear classifier on the 2x2-pooled input (2 x input elements / 4 x classes: the
/// cheapest child one pooling edit makes of LLMatic's seed, which sits 0.7 decades above) up to the FLOPs a child can
/// train within its time budget at the measured training rate (`trainableFlops`, from
/// `TrainerEvaluator.flopsWithinBudget`), never above the FLOPs limit. Measured on Fashion-MNIST before this
/// rule: with the top at the 300 M limit no child of a 66-s budget came above 31 M (the top 0.2 of the axis
/// empty), and a tenth of the children sat clamped at the bottom edge (pooled or shrunk seeds, 5.7-7.3 k).
/// depth / width: from the shallowest, widest network (depth 2, the widest layer the rules make that fits the
/// parameter limit) to the deepest narrow network `reachEdits` layer-adding edits make of a depth-2 network
/// at the classifier's width (the class count): (2 + 3) / 10 on Fashion-MNIST. The depth the image allows
/// (three convolutions per halving plus two, 1.4 there) is never reached by rule children: in the runs
/// measured none came above 0.3, and a quarter of the axis stayed empty.
/// Seed networks always lie inside the box: a bound they pass is moved `seedMargin` decades beyond them.
public enum DescriptorBounds {
    /// Layer-adding edits a narrow lineage is credited with (the ratio axis's top).
    public static let reachEdits = 3
    /// Decades a seed network is kept inside a bound it would otherwise pass.
    public static let seedMargin = 0.1

    public static func space(limits: SearchLimits, input: TensorShape, classes: Int, seeds: [NetworkCost] = [],
                             trainableFlops: Double? = nil) -> DescriptorSpace {
        let classes = Double(max(classes, 1))
        let pooled = Double(max(input.count / 4, 1))
        var flopsLow = log10(2 * pooled * classes)
        var flopsHigh = log10(Double(max(limits.maxFlops, 1)))
        if let trainable = trainableFlops, trainable > 0 { flopsHigh = min(flopsHigh, log10(trainable)) }
        let widest = Double(min(RuleEdit.maxChannels, Int(Double(max(limits.maxParameters, 1)).squareRoot())))
        var ratioLow = log10(2 / max(widest, 2))
        var ratioHigh = log10(Double(2 + reachEdits) / classes)
        for seed in seeds {
            let f = log10(Double(max(seed.flops, 1))), r = log10(max(seed.depthWidthRatio, 1e-9))
            flopsLow = min(flopsLow, f - seedMargin); flopsHigh = max(flopsHigh, f + seedMargin)
            ratioLow = min(ratioLow, r - seedMargin); ratioHigh = max(ratioHigh, r + seedMargin)
        }
        if flopsLow >= flopsHigh { flopsLow = flopsHigh - 1 }
        if ratioLow >= ratioHigh { ratioLow = ratioHigh - 1 }
        return DescriptorSpace(log10RatioRange: ratioLow...ratioHigh, log10FlopsRange: flopsLow...flopsHigh)
    }
}
