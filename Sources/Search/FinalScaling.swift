import NetIR

/// The final network's width. Children are ranked by a few hundred steps inside the child time budget, which
/// keeps the networks the search finds small (under ~75 MFLOPs on a 2-core machine, most under 5 M); the final
/// retrain has minutes, and spent on the found width it runs 40-60 epochs of a network that stopped learning
/// after 20. So, as DARTS and ENAS train their searched cells with more channels for evaluation, the found
/// network is scaled, every hidden Conv2d and Linear by one factor (the classifier keeps its classes), by the
/// largest of `factors` at which the time left still trains it long enough at its measured throughput (`fits`).
///
/// Measured (Fashion-MNIST, 2-core AVX2 EPYC, the network `scripts/run` seed 2 found, 330 s with the final
/// recipe, `llmatic train`, partly loaded machine): found width 38 epochs 92.89% test; x2 11.6 epochs 93.06%;
/// x3 7 epochs 93.02%. Again on another seed-2 network (a LeNet-like 3.6 MFLOPs, 2-core AVX2 EPYC, quiet, 335 s,
/// crop+flip): found width 26 epochs 92.40% (54,000 images, the run's final), x1.5 14.6 epochs 92.92%, x2 10.1
/// epochs 92.66% (60,000 images, `llmatic train`). Against it, once (seed 5, Zen 4, quiet): a network whose
/// 2.5 M parameters sit mostly in one 9408x256 Linear, retrained at its found width (32 epochs, the run's final:
/// 1.5x exceeds the 5 M parameter limit, so `widen` keeps the width) reached 93.09% test; 1.5x on every layer
/// but that Linear (3.8 M, 15.5 epochs, 335 s, 60,000 images) 92.51%. One run each: so far widening has paid
/// for small convolutional networks and not for one whose capacity is already in a wide Linear.
public enum FinalScaling {
    /// Width factors tried, smallest first; the first whose epochs fall short ends the search.
    public static let factors: [Double] = [1.5, 2, 3, 4]
    /// Epochs a scaled network must still get: enough for the recipe's augmentation (10) with room to spare.
    /// Not 15: the best measured width above trained 14.6 epochs, and a 15-epoch target refused it in the run
    /// (its probe said 14.8); near 10 the narrower width wins again.
    public static let targetEpochs = 12.0
    /// The first factor needs only the recipe's augmentation epochs (`FinalRecipe.augmentationMinEpochs`): in
    /// both networks measured above, a widened network at 7-10 epochs beat its found width at 26-38, and the
    /// finals the 12-epoch target left at their width (17-26 epochs, too small for augmentation) stayed at
    /// 92.3-92.8% test (`scripts/run`, Zen 2 and Zen 4, seed 3 on the Zen 4 at 18 epochs: 92.76%). It acted in
    /// one of eight `scripts/run` runs since (seed 6, Zen 4: x1.5 at 11 epochs, 92.91%), not compared with the
    /// found width there.
    public static var firstFactorEpochs: Double { Double(FinalRecipe.augmentationMinEpochs) }

    /// `graph` with every hidden Conv2d/Linear scaled by `factor` (`RuleEdit.scale`), shapes repaired. Where
    /// that breaks the network (a widened layer added to the 1-channel input, a residual add whose other branch
    /// keeps its width), the layers are scaled one at a time instead, each kept only while the network still
    /// repairs to the same output. Nil when no layer can be widened.
    public static func scaled(_ graph: Graph, by factor: Double) -> Graph? {
        guard let output = try? graph.inferShapes()[graph.output] else { return nil }
        func valid(_ g: GraphSurgery) -> Graph? {
            guard let result = try? g.repaired(), (try? result.inferShapes()[result.output]) == output else { return nil }
            return result
        }
        var whole = GraphSurgery(graph)
        if RuleEdit.scale(&whole, by: factor) != nil, let result = valid(whole) { return result }
        var g = GraphSurgery(graph)
        var changed = false
        for i in RuleEdit.weighted(g) {
            var trial = g
            guard RuleEdit.resize(&trial, i, factor: factor) != nil, valid(trial) != nil else { continue }
            g = trial
            changed = true
        }
        return changed ? valid(g) : nil
    }

    /// Whether widening by `factor`, whose measured throughput gives `epochs` in the time left, is worth taking.
    public static func fits(epochs: Double, factor: Double) -> Bool {
        epochs >= (factor == factors.first ? firstFactorEpochs : targetEpochs)
    }
}
