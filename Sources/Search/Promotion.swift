/// Multi-fidelity evaluation, second rung. Every child is trained at the explore fidelity (the run's
/// `--max-steps`, a few hundred steps, so a generation takes seconds); when exploring ends a few of the fittest
/// archive networks are promoted (`PromotionRule.promotionOrder`): trained `stepsFactor` times as many steps
/// more, continuing from their weights. Fitness is only ever compared at one fidelity: the archive holds
/// explore-fidelity fitness (every elite records its steps), promotions are ranked among themselves at the
/// promoted fidelity, and the final network is their winner (`PromotionRule.winner`; the archive's best when
/// none could be promoted).
public struct PromotionResult: Sendable, Codable, Equatable {
    public var candidate: Int
    /// Steps and validation accuracy at the explore fidelity (the archive's) and after promotion.
    public var exploreSteps: Int
    public var exploreAccuracy: Double
    public var promotedSteps: Int
    public var promotedAccuracy: Double
    public var seconds: Double
    /// Training throughput of the promoted run (long enough to time well; the final recipe's epochs use it).
    public var imagesPerSecond: Double
    /// Forward FLOPs per sample of the network (nil in records written before it was kept).
    public var flops: Int?

    public init(candidate: Int, exploreSteps: Int, exploreAccuracy: Double, promotedSteps: Int, promotedAccuracy: Double,
                seconds: Double, imagesPerSecond: Double = 0, flops: Int? = nil) {
        self.candidate = candidate; self.exploreSteps = exploreSteps; self.exploreAccuracy = exploreAccuracy
        self.promotedSteps = promotedSteps; self.promotedAccuracy = promotedAccuracy; self.seconds = seconds
        self.imagesPerSecond = imagesPerSecond; self.flops = flops
    }
}

/// The promotion rule: which archive members, how far, and which one wins.
public enum PromotionRule {
    /// At most this many networks are promoted (the time left may allow fewer).
    public static let maxPromoted = 4
    /// A promoted network trains this many times its explore steps more.
    public static let stepsFactor = 3

    /// One archive member as promotion sees it.
    public struct Entry: Sendable, Equatable {
        public var candidate: Int
        public var fitness: Double
        public var steps: Int
        /// Training images per second of its explore run (0: unknown).
        public var imagesPerSecond: Double
        /// Forward FLOPs per sample (0: unknown).
        public var flops: Int
        public init(candidate: Int, fitness: Double, steps: Int, imagesPerSecond: Double = 0, flops: Int = 0) {
            self.candidate = candidate; self.fitness = fitness; self.steps = steps; self.imagesPerSecond = imagesPerSecond
            self.flops = flops
        }
    }

    /// The entries that the final retrain, given `finalSeconds`, can train for at least
    /// `FinalRecipe.augmentationMinEpochs` epochs at their explore throughput (an unknown throughput passes);
    /// all entries when none can. Why: the winner of the promotions becomes the final network, and a network
    /// too slow for that many epochs is retrained short and without augmentation. Over the 22 finals of
    /// `scripts/run`-style runs recorded on 2026-12-03 (Fashion-MNIST, 2 cores; a correlation, not a controlled
    /// comparison), the 6 retrained for under 10 epochs reached 91.6% test on average (90.4-92.7%), the 16 with
    /// 10 or more 92.3% (90.0-93.5%).
    public static func finalTrainable(_ entries: [Entry], finalSeconds: Double, trainImages: Int, validationImages: Int) -> [Entry] {
        let fit = entries.filter {
            $0.imagesPerSecond <= 0 || FinalRecipe.fitEpochs(seconds: finalSeconds, imagesPerSecond: $0.imagesPerSecond,
                                                             trainImages: trainImages, validationImages: validationImages)
                >= FinalRecipe.augmentationMinEpochs
        }
        return fit.isEmpty ? entries : fit
    }

    /// The `count` fittest entries, compared only among those at the explore fidelity (the most common step
    /// count; ties: the larger), best first. Entries of other fidelities are never ranked against them.
    public static func select(_ entries: [Entry], count: Int) -> [Entry] {
        guard count > 0, !entries.isEmpty else { return [] }
        var tally: [Int: Int] = [:]
        for e in entries { tally[e.steps, default: 0] += 1 }
        let fidelity = tally.max { ($0.value, $0.key) < ($1.value, $1.key) }!.key
        return Array(entries.filter { $0.steps == fidelity && $0.fitness.isFinite }
            .sorted { $0.fitness != $1.fitness ? $0.fitness > $1.fitness : $0.candidate < $1.candidate }
            .prefix(count))
    }

    /// The entries to promote, in the order they train: the fittest at the explore fidelity first, then the
    /// others tied with it (`tieMargin`) by most FLOPs per sample, then the rest by fitness; at most `count`.
    /// Why: the fittest few at a few hundred steps are mostly the networks that learn fastest (a large Linear on
    /// a barely convolved map), and the costlier networks tied with them, which keep learning where those stop,
    /// were left out when the fast ones filled the slots (`scripts/run` seed 7, Zen 4: the fittest, one
    /// convolution and a 3136x512 Linear, 2.8 MFLOPs, 0.9017, was promoted and retrained to 92.32% test while a
    /// 19.7-MFLOPs network of three convolutions at 0.8992 was not promoted). The same reason as `winner`'s, one
    /// rung earlier.
    public static func promotionOrder(_ entries: [Entry], count: Int, validationImages: Int) -> [Entry] {
        let ranked = select(entries, count: entries.count)
        guard let best = ranked.first, count > 0 else { return [] }
        let margin = tieMargin(best.fitness, validationImages: validationImages)
        let others = ranked.dropFirst()
        let tied = others.filter { $0.fitness >= best.fitness - margin }.sorted(by: costlierFirst)
        let rest = others.filter { $0.fitness < best.fitness - margin }
        return Array(([best] + tied + rest).prefix(count))
    }

    /// The order among tied entries (`promotionOrder`, `winner`): most FLOPs per sample first, then the fitter,
    /// then the lower candidate.
    static func costlierFirst(_ a: Entry, _ b: Entry) -> Bool {
        if a.flops != b.flops { return a.flops > b.flops }
        return a.fitness != b.fitness ? a.fitness > b.fitness : a.candidate < b.candidate
    }

    /// Promotions that fit in `seconds` when one takes `secondsEach`, at most `maxPromoted`.
    public static func count(seconds: Double, secondsEach: Double) -> Int {
        guard seconds > 0, secondsEach > 0 else { return 0 }
        return min(maxPromoted, Int((seconds / secondsEach).rounded(.down)))
    }

    /// Promoted accuracies within this many binomial standard errors of the best one,
    /// sqrt(p(1 - p) / validation images), are a tie: at 0.91 on 6,000 images one standard error is 0.37 points,
    /// so closer accuracies say nothing about which network is better.
    public static let tieStandardErrors = 1.0

    /// The accuracy below `best` that still counts as tied with it (`tieStandardErrors` binomial standard errors
    /// on `validationImages`; 0 when there are none).
    public static func tieMargin(_ best: Double, validationImages: Int) -> Double {
        let p = min(max(best, 0), 1)
        return validationImages > 0 ? tieStandardErrors * (p * (1 - p) / Double(validationImages)).squareRoot() : 0
    }

    /// The winner among promotions, among those at the most common promoted step count: of the networks tied
    /// with the best promoted accuracy (`tieStandardErrors`), the one with the most FLOPs per sample (then the
    /// better promoted accuracy, then the lower candidate). Why: the final retrain is 10-30 times longer than a
    /// promotion, and a short run cannot tell a small network that has learnt what it can from a larger one
    /// that keeps learning. Measured (Fashion-MNIST, the final recipe, 334 s each, 2026-12-04), two such ties:
    /// * `scripts/run` seed 2: the best promoted accuracy, 91.35% (1.7 MFLOPs, one convolution; 2x widened as
    ///   the run's final network) retrained to 91.80% validation; 91.25% (10.3 MFLOPs, two convolutions) to 92.93%.
    /// * a model run's seed 1 (1 thread each): 89.73% (834 kFLOPs) retrained to 91.53%; 89.65% (329 kFLOPs) to 91.07%.
    public static func winner(_ results: [PromotionResult], validationImages: Int) -> PromotionResult? {
        let entries = results.map {
            Entry(candidate: $0.candidate, fitness: $0.promotedAccuracy, steps: $0.promotedSteps, flops: $0.flops ?? 0)
        }
        // `select` keeps the most common promoted step count only.
        let ranked = select(entries, count: entries.count)
        guard let best = ranked.first else { return nil }
        let margin = tieMargin(best.fitness, validationImages: validationImages)
        guard let chosen = ranked.filter({ $0.fitness >= best.fitness - margin }).min(by: costlierFirst) else { return nil }
        return results.first {
            $0.candidate == chosen.candidate && $0.promotedSteps == chosen.steps && $0.promotedAccuracy == chosen.fitness
        }
    }
}
