import NetIR

/// The final network's width. Children are ranked by a few hundred steps inside the child time budget, which
/// keeps the networks the search finds small (under ~75 MFLOPs on a 2-core machine, most under 5 M); the final
/// retrain has minutes, and spent on the found width it runs 40-60 epochs of a network that stopped learning
/// after 20. So, as DARTS and ENAS train their searched cells with more channels for evaluation, the found
/// network is scaled, every hidden Conv2d and Linear by one factor (the classifier keeps its classes), by the
/// largest of `factors` at which the time left still trains it for `targetEpochs` at its measured throughput.
///
/// Measured (Fashion-MNIST, 2-core AVX2 EPYC, the network `scripts/run` seed 2 found, 330 s with the final
/// recipe, `llmatic train`, partly loaded machine): found width 38 epochs 92.89% test; x2 11.6 epochs 93.06%;
/// x3 7 epochs 93.02%.
public enum FinalScaling {
    /// Width factors tried, smallest first; the first whose epochs fall short ends the search.
    public static let factors: [Double] = [1.5, 2, 3, 4]
    /// Epochs a scaled network must still get: enough for the recipe's augmentation (10) with room to spare.
    public static let targetEpochs = 15.0

    /// `graph` with every hidden Conv2d/Linear scaled by `factor` (`RuleEdit.scale`), shapes repaired; nil when
    /// nothing changes or the output shape would.
    public static func scaled(_ graph: Graph, by factor: Double) -> Graph? {
        var g = GraphSurgery(graph)
        guard RuleEdit.scale(&g, by: factor) != nil, let result = try? g.repaired(),
              let before = try? graph.inferShapes()[graph.output], let after = try? result.inferShapes()[result.output],
              before == after else { return nil }
        return result
    }

    /// Whether a width whose measured throughput gives `epochs` in the time left is worth taking.
    public static func fits(epochs: Double) -> Bool { epochs >= targetEpochs }
}
