import Foundation
import NetIR

/// Descriptor bounds from what the limits allow and the data set's shape, instead of fixed raw ranges (which
/// left most of the heat map unreachable: children piled into a few FLOPs cells).
///
/// FLOPs per sample: from a linear classifier on the raw input (2 x input elements x classes, the cheapest
/// network that sees every pixel; LLMatic's seed sits there) to the FLOPs limit.
/// depth / width: from the shallowest, widest network (depth 2, the widest layer the rules make that fits the
/// parameter limit) to the deepest, narrowest (three convolutions per halving of the image plus two, over
/// the classifier's width, the class count).
public enum DescriptorBounds {
    public static func space(limits: SearchLimits, input: TensorShape, classes: Int) -> DescriptorSpace {
        let cheapest = 2.0 * Double(max(input.count, 1)) * Double(max(classes, 1))
        var flopsLow = log10(cheapest) - 0.1
        let flopsHigh = log10(Double(max(limits.maxFlops, 1)))
        if flopsLow >= flopsHigh { flopsLow = flopsHigh - 1 }
        let widest = Double(min(RuleEdit.maxChannels, Int(Double(max(limits.maxParameters, 1)).squareRoot())))
        let halvings = log2(Double(max(min(input.height, input.width), 2))).rounded(.down)
        let deepest = 3 * halvings + 2
        var ratioLow = log10(2 / max(widest, 2))
        let ratioHigh = log10(deepest / Double(max(classes, 1)))
        if ratioLow >= ratioHigh { ratioLow = ratioHigh - 1 }
        return DescriptorSpace(log10RatioRange: ratioLow...ratioHigh, log10FlopsRange: flopsLow...flopsHigh)
    }
}
