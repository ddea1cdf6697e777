import Foundation
import NetIR

/// Descriptor bounds from the limits, the time budget and the data set's shape, instead of fixed raw ranges
/// (which left most of the heat map unreachable: children piled into a few FLOPs cells).
///
/// FLOPs per sample: from a linear classifier on the raw input (2 x input elements x classes, the cheapest
/// network that sees every pixel; LLMatic's seed sits there) less 0.1 decade, up to the FLOPs a child can
/// train within its time budget at the measured training rate (`trainableFlops`, from
/// `TrainerEvaluator.probedFlopsWithinBudget`), never above the FLOPs limit. Measured on Fashion-MNIST before
/// this rule: with the top at the 300 M limit no child of a 66-s budget came above 31 M (the top fifth of the
/// axis empty); the budget's top is 75 M there (a 2-core AVX2 EPYC).
/// depth / width: from the shallowest, widest network (depth 2, the widest layer the rules make that fits the
/// parameter limit) to the deepest, narrowest (three convolutions per halving of the image plus two, over
/// the classifier's width, the class count). Tried and not kept: a ratio top at 3 layer-adding edits over the
/// class count (0.5) with a FLOPs bottom at the 2x2-pooled classifier, together with exploring requests that
/// chained a second edit, gave the small networks near the seed more niches and exploring children went
/// there: over 3 seeds of 34 children, coverage 24% as before and the best validation accuracy 1.9 points
/// lower (88.7% against 90.6%); this rule alone: 23% and 90.1%.
/// Seed networks always lie inside the box: a bound they pass is moved `seedMargin` decades beyond them.
public enum DescriptorBounds {
    /// Decades a seed network is kept inside a bound it would otherwise pass.
    public static let seedMargin = 0.1

    public static func space(limits: SearchLimits, input: TensorShape, classes: Int, seeds: [NetworkCost] = [],
                             trainableFlops: Double? = nil) -> DescriptorSpace {
        let classes = Double(max(classes, 1))
        var flopsLow = log10(2 * Double(max(input.count, 1)) * classes) - 0.1
        var flopsHigh = log10(Double(max(limits.maxFlops, 1)))
        if let trainable = trainableFlops, trainable > 0 { flopsHigh = min(flopsHigh, log10(trainable)) }
        let widest = Double(min(RuleEdit.maxChannels, Int(Double(max(limits.maxParameters, 1)).squareRoot())))
        var ratioLow = log10(2 / max(widest, 2))
        let halvings = log2(Double(max(min(input.height, input.width), 2))).rounded(.down)
        var ratioHigh = log10((3 * halvings + 2) / classes)
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
