import XCTest
import Data
import Engine
import NetIR
import Train
@testable import Search

/// The pieces that make a `--run-time` search spread its archive and end with a well-trained network: each
/// compared with hand-computed references (exact unless a tolerance is stated).
final class SearchQualityTests: XCTestCase {
    let fashion = TensorShape(channels: 1, height: 28, width: 28)

    // MARK: descriptor bounds

    func testDescriptorBoundsFollowTheLimitsAndTheDataShape() throws {
        let limits = SearchLimits()
        let space = DescriptorBounds.space(limits: limits, input: fashion, classes: 10)
        // FLOPs: a linear classifier on the pixels (2 x 784 x 10) less 0.1 decade, up to the FLOPs limit (no budget given).
        XCTAssertEqual(space.log10FlopsRange.lowerBound, log10(15_680) - 0.1, accuracy: 1e-12)
        XCTAssertEqual(space.log10FlopsRange.upperBound, log10(300_000_000), accuracy: 1e-12)
        // depth/width: 2 / 512 (widest rule layer, under sqrt(5e6)) up to (3 x 4 halvings + 2) / 10 classes.
        XCTAssertEqual(space.log10RatioRange.lowerBound, log10(2.0 / 512), accuracy: 1e-12)
        XCTAssertEqual(space.log10RatioRange.upperBound, log10(14.0 / 10), accuracy: 1e-12)
        // A bigger image and a larger FLOPs limit move the bounds the right way.
        let cifar = DescriptorBounds.space(limits: SearchLimits(maxFlops: 1_000_000_000),
                                           input: TensorShape(channels: 3, height: 32, width: 32), classes: 10)
        XCTAssertGreaterThan(cifar.log10FlopsRange.lowerBound, space.log10FlopsRange.lowerBound)
        XCTAssertEqual(cifar.log10FlopsRange.upperBound, 9, accuracy: 1e-12)
        // The built-in networks land inside the box, not clamped onto its edges as one corner.
        for net in BuiltinNetwork.allCases {
            let d = space.descriptor(try net.graph(input: fashion).cost())
            for x in d { XCTAssert(x > 0 && x < 1, "\(net) descriptor \(d) on the edge") }
        }
    }

    /// The FLOPs axis ends where a child stops fitting its time budget: at the rate given, a network at the top
    /// is predicted to train exactly the budget times the tolerance, and the seed networks stay inside the box
    /// even when one of them is costlier than the budget allows.
    func testDescriptorBoundsTopIsWhatFitsTheTimeBudget() throws {
        let data = try DatasetCatalog.load("synthetic:1x28x28:10:256:64", seed: 3)
        let training = TrainingSettings(epochs: 1, maxSteps: 4, batchSize: 32, validationFraction: 0.2)
        // No backend: the bound is arithmetic on the budget, the planned steps and the rate.
        let evaluator = TrainerEvaluator(backends: [], data: data,
                                         config: training.trainingConfig(seed: 3), timeBudget: 66)
        let rate = 1e8   // forward FLOPs x images per second
        let top = try XCTUnwrap(evaluator.flopsWithinBudget(rate: rate))
        // 4 planned steps (204 training images make 6 batches of 32, capped at 4) of 32 images:
        // 66 s x 1.25 x 1e8 / (4 x 32) = 64.45 MFLOPs per image.
        XCTAssertEqual(top, 66 * 1.25 * 1e8 / (4 * 32), accuracy: 1e-6)
        XCTAssertEqual(top * Double(4 * 32) / rate, 66 * TrainerEvaluator.budgetTolerance, accuracy: 1e-9)
        XCTAssertNil(TrainerEvaluator(backends: [], data: data,
                                      config: training.trainingConfig(seed: 3)).flopsWithinBudget(rate: rate),
                     "no budget, no bound")
        let seeds = try BuiltinNetwork.allCases.map { try $0.graph(input: fashion).cost() }
        let space = DescriptorBounds.space(limits: SearchLimits(), input: fashion, classes: 10, seeds: seeds, trainableFlops: top)
        XCTAssertEqual(space.log10FlopsRange.upperBound, log10(top), accuracy: 1e-12)
        for (net, cost) in zip(BuiltinNetwork.allCases, seeds) {
            let d = space.descriptor(cost)
            for x in d { XCTAssert(x > 0 && x < 1, "\(net) descriptor \(d) on the edge") }
        }
        // A seed above the budget's FLOPs (and deeper-narrower than the image's depth bound) widens the box to hold it.
        var costly = try BuiltinNetwork.smallcnn.graph(input: fashion).cost()
        costly.flops = Int(top * 4)
        costly.depth = 20; costly.width = 10
        let widened = DescriptorBounds.space(limits: SearchLimits(), input: fashion, classes: 10, seeds: [costly], trainableFlops: top)
        XCTAssertEqual(widened.log10FlopsRange.upperBound, log10(top * 4) + DescriptorBounds.seedMargin, accuracy: 1e-9)
        XCTAssertEqual(widened.log10RatioRange.upperBound, log10(2.0) + DescriptorBounds.seedMargin, accuracy: 1e-9)
        // A budget above the FLOPs limit leaves the limit as the top.
        let roomy = DescriptorBounds.space(limits: SearchLimits(maxFlops: 1_000_000), input: fashion, classes: 10, trainableFlops: top)
        XCTAssertEqual(roomy.log10FlopsRange.upperBound, 6, accuracy: 1e-12)
    }

    // MARK: rule edits move both ways

    /// Mean change of (log10 depth/width, log10 FLOPs) over many seeded applications of one edit.
    func meanShift(_ edit: RuleEdit, on net: BuiltinNetwork) throws -> (ratio: Double, flops: Double, applied: Int) {
        let parent = try net.graph(input: fashion)
        let before = try parent.cost()
        var sum = (0.0, 0.0), n = 0
        for seed in 0..<40 {
            var rng = SearchRandom(seed: UInt64(seed))
            var g = GraphSurgery(parent)
            guard edit.apply(&g, &rng) != nil, let child = try? g.repaired(), let c = try? child.cost() else { continue }
            sum.0 += log10(max(c.depthWidthRatio, 1e-9)) - log10(before.depthWidthRatio)
            sum.1 += log10(Double(c.flops)) - log10(Double(before.flops))
            n += 1
        }
        return n == 0 ? (0, 0, 0) : (sum.0 / Double(n), sum.1 / Double(n), n)
    }

    func testRuleEditsMoveBothWaysOnEachDescriptor() throws {
        let net = BuiltinNetwork.smallcnn
        let widen = try meanShift(.widenLayer, on: net), narrow = try meanShift(.narrowLayer, on: net)
        let deeper = try meanShift(.addConvolution, on: net), shallower = try meanShift(.deleteLayer, on: net)
        let up = try meanShift(.scaleUp, on: net), down = try meanShift(.scaleDown, on: net)
        for (name, s) in [("widen", widen), ("narrow", narrow), ("add-conv", deeper), ("delete", shallower), ("scale up", up), ("scale down", down)] {
            XCTAssertGreaterThan(s.applied, 10, "\(name) rarely applies")
        }
        // depth/width: narrower and deeper raise it, wider and shallower lower it.
        XCTAssertGreaterThan(narrow.ratio, 0); XCTAssertLessThan(widen.ratio, 0)
        XCTAssertGreaterThan(deeper.ratio, 0); XCTAssertLessThan(shallower.ratio, 0)
        // FLOPs: wider, scaled up and deeper cost more; narrower, scaled down and shallower cost less.
        XCTAssertGreaterThan(widen.flops, 0); XCTAssertLessThan(narrow.flops, 0)
        XCTAssertGreaterThan(up.flops, 0); XCTAssertLessThan(down.flops, 0)
        XCTAssertLessThan(shallower.flops, 0)
    }

    func testImproveAndShrinkInstructionsCanNarrow() {
        // The instructions must reach the narrowing edit: count notes over seeds.
        var narrowed = 0
        for seed in 0..<200 {
            var rng = SearchRandom(seed: UInt64(seed))
            guard var g = try? GraphSurgery(BuiltinNetwork.smallcnn.graph(input: fashion)) else { continue }
            for m in [MutationInstruction.improve, .shrink] {
                if let note = RuleMutator.apply(m, &g, &rng), note.hasPrefix("narrowed") { narrowed += 1 }
            }
        }
        XCTAssertGreaterThan(narrowed, 10)
    }

    // MARK: niche targeting

    func testNicheTargetingAlternatesEmptyAndFilledNiches() {
        let occupied: Set<Int> = [3, 5]
        func v(_ niches: [Int?]) -> [NicheTargeting.Variant?] {
            niches.map { $0.map { NicheTargeting.Variant(niche: $0, descriptor: [Double($0) / 10, 0]) } }
        }
        XCTAssertEqual(NicheTargeting.choose(v([3, 7, 5]), occupied: occupied, wantEmpty: true), 1)
        XCTAssertEqual(NicheTargeting.choose(v([7, 3, 5]), occupied: occupied, wantEmpty: false), 1)
        // No match: the first variant with a known niche; none known: nil.
        XCTAssertEqual(NicheTargeting.choose(v([nil, 3, 5]), occupied: occupied, wantEmpty: true), 1)
        XCTAssertNil(NicheTargeting.choose(v([nil, nil]), occupied: occupied, wantEmpty: true))
        // With a target: the empty-niche variant nearest it (niche 8 at x 0.8 beats niche 1 at x 0.1 for a target
        // at x 0.9); when no variant lands in an empty niche, the variant nearest the target.
        XCTAssertEqual(NicheTargeting.choose(v([1, 3, 8]), occupied: occupied, wantEmpty: true, target: [0.9, 0]), 2)
        XCTAssertEqual(NicheTargeting.choose(v([3, 5]), occupied: occupied, wantEmpty: true, target: [0.9, 0]), 1)
        XCTAssertEqual(NicheTargeting.choose(v([1, 3, 8]), occupied: occupied, wantEmpty: false, target: [0.9, 0]), 1,
                       "competing requests ignore the target")
        // Targets: one of the nearest empty centroids, spread over the three nearest by the seed.
        let centroids = (0..<10).map { [Double($0) / 10, 0] }
        let filled: Set<Int> = [2, 3, 4]
        let targets = Set((0..<12).compactMap {
            NicheTargeting.target(parent: [0.32, 0], centroids: centroids, occupied: filled, seed: UInt64($0 * 2))
        }.map { $0[0] })
        XCTAssertEqual(targets, [0.5, 0.1, 0.6], "the three empty centroids nearest 0.32 (0.18, 0.22 and 0.28 away)")
        XCTAssertNil(NicheTargeting.target(parent: [0.3, 0], centroids: centroids, occupied: Set(0..<10), seed: 0))
        // Half the seeds aim at empty niches.
        let empty = (0..<100).filter { NicheTargeting.wantsEmpty(seed: UInt64($0)) }.count
        XCTAssertEqual(empty, 50)
        XCTAssertNotEqual(NicheTargeting.seed(7, variant: 1), NicheTargeting.seed(7, variant: 0))
        XCTAssertEqual(NicheTargeting.seed(7, variant: 0), 7)
    }

    // MARK: QD-score

    func testQDScoreIsTheSumOfFitnessOverFilledNiches() {
        var archive = CVTArchive<Int>(centroids: [[0.1, 0.1], [0.9, 0.9], [0.1, 0.9]])
        archive.insert(descriptor: [0.1, 0.1], fitness: 0.5, payload: 1)
        archive.insert(descriptor: [0.12, 0.1], fitness: 0.7, payload: 2)   // replaces 0.5 in niche 0
        archive.insert(descriptor: [0.1, 0.12], fitness: 0.6, payload: 3)   // rejected: 0.7 stays
        archive.insert(descriptor: [0.9, 0.9], fitness: 0.25, payload: 4)
        XCTAssertEqual(QualityDiversity.score(archive), 0.7 + 0.25, accuracy: 1e-12)
        XCTAssertEqual(QualityDiversity.score([0.5, -.infinity, 0.25]), 0.75, accuracy: 1e-12)
        XCTAssertEqual(QualityDiversity.score(CVTArchive<Int>(centroids: [[0.5, 0.5]])), 0)
    }

    func testHistoryRecordsTheQDScoreAfterEachCandidate() {
        var state = SearchState(config: SearchConfig(data: "x", niches: 10))
        for (i, acc) in [0.5, 0.6].enumerated() {
            var r = CandidateRecord(id: i, generation: i, operation: i == 0 ? .seed : .mutation(.grow), parents: [], temperature: 0)
            r.metrics = CandidateMetrics(validationAccuracy: acc, validationLoss: 1, steps: 300)
            r.fitness = acc
            r.descriptor = i == 0 ? [0, 0] : [1, 1]
            r.cost = CostSummary(NetworkCost(parameters: 1, flops: 1, depth: 1, width: 1, activations: 1))
            state.apply(&r)
        }
        let scores = state.history.map { $0.qdScore ?? -1 }
        XCTAssertEqual(scores.count, 2)
        for (got, want) in zip(scores, [0.5, 1.1]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        XCTAssertEqual(state.networks.ranked.first?.payload.steps, 300)
    }

    // MARK: final recipe

    func testFinalRecipeFitsEpochsToTheTimeLeft() {
        // 54,000 training images at 6,000 images/s: 9 s, plus 6,000 validation images at 15,000/s: 0.4 s per epoch.
        XCTAssertEqual(FinalRecipe.epochsFitting(seconds: 300, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000),
                       300 / 9.4, accuracy: 1e-9)   // 31.9
        XCTAssertEqual(FinalRecipe.fitEpochs(seconds: 300, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000), 31)
        // Planned past the time (1.5 x 31.9, rounded up), so the time limit ends it.
        let long = FinalRecipe.fitted(seconds: 300, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000, parameters: 1_000_000)
        XCTAssertEqual(long.epochs, 48)
        XCTAssertEqual(long.timeLimit, 300)
        XCTAssertTrue(long.augment)
        let short = FinalRecipe.fitted(seconds: 60, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000, parameters: 1_000_000)
        XCTAssertEqual(short.epochs, 10)
        XCTAssertFalse(short.augment, "under \(FinalRecipe.augmentationMinEpochs) whole epochs: no augmentation")
        // A small network (63 K parameters, 1.2 per image) is not augmented however long it trains; 432 K (8 per
        // image) is.
        let small = FinalRecipe.fitted(seconds: 300, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000, parameters: 63_242)
        XCTAssertEqual(small.epochs, 48)
        XCTAssertFalse(small.augment)
        XCTAssertTrue(FinalRecipe.fitted(seconds: 300, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000,
                                         parameters: 432_000).augment)
        XCTAssertFalse(FinalRecipe.augments(parameters: 431_999, trainImages: 54_000))
        XCTAssertEqual(FinalRecipe.fitted(seconds: 9, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000, parameters: 1_000_000).epochs, 0,
                       "not one epoch fits: no retrain")
        XCTAssertEqual(FinalRecipe.fitEpochs(seconds: 300, imagesPerSecond: 0, trainImages: 54_000, validationImages: 6000), 0)
        XCTAssertEqual(FinalRecipe.fitEpochs(seconds: -5, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000), 0)
        XCTAssertEqual(FinalRecipe.fitEpochs(seconds: 1e9, imagesPerSecond: 6000, trainImages: 54_000, validationImages: 6000),
                       FinalRecipe.maxEpochs)
        let c = long.trainingConfig(batchSize: 128, learningRate: 0.05, seed: 3)
        XCTAssertEqual(c.epochs, 48)
        XCTAssertEqual(c.timeLimit, 300)
        XCTAssertEqual(c.labelSmoothing, 0.1)
        XCTAssertEqual(c.optimizer, .sgd(momentum: 0.9, nesterov: true, weightDecay: 5e-4))
        XCTAssertEqual(c.schedule, LearningRateSchedule(.cosine, warmupFraction: 0.05))
        XCTAssertEqual(c.augmentation, Augmentation(cropPadding: 2, horizontalFlip: true))
        XCTAssertEqual(short.trainingConfig(batchSize: 128, learningRate: 0.05, seed: 3).augmentation, .none)
    }

    // MARK: run-time split

    func testRunTimeSplitGivesHalfToTheSearchAndTheRestToTheFinalNetwork() {
        let split = RunTimeSplit(total: 660)
        XCTAssertEqual(split.searchSeconds, 330)
        XCTAssertEqual(split.exploreSeconds, 264)
        XCTAssertEqual(split.childSeconds, 66, accuracy: 1e-9, "a child may take a quarter of the exploring")
        XCTAssertEqual(split.finalSeconds(elapsed: 340), 660 - 340 - 15)
        XCTAssertEqual(split.finalSeconds(elapsed: 700), 0)
        // A generation predicted to end after the limit does not start; one that ends before does.
        XCTAssertFalse(RunTimeSplit.mayStart(elapsed: 300, predicted: 40, limit: 330))
        XCTAssertTrue(RunTimeSplit.mayStart(elapsed: 280, predicted: 40, limit: 330))
        XCTAssertTrue(RunTimeSplit.mayStart(elapsed: 10, predicted: 0, limit: 330))
        XCTAssertFalse(RunTimeSplit.mayStart(elapsed: 330, predicted: 0, limit: 330))
    }

    // MARK: promotion

    func testPromotionRanksOnlyWithinOneFidelity() {
        typealias E = PromotionRule.Entry
        let entries = [E(candidate: 1, fitness: 0.80, steps: 300), E(candidate: 2, fitness: 0.95, steps: 1200),
                       E(candidate: 3, fitness: 0.85, steps: 300), E(candidate: 4, fitness: 0.83, steps: 300),
                       E(candidate: 5, fitness: .nan, steps: 300)]
        // 0.95 was measured at another fidelity: never ranked against the 300-step fitness.
        XCTAssertEqual(PromotionRule.select(entries, count: 2).map(\.candidate), [3, 4])
        XCTAssertEqual(PromotionRule.select(entries, count: 10).map(\.candidate), [3, 4, 1])
        XCTAssertEqual(PromotionRule.select(entries, count: 0), [])
        XCTAssertEqual(PromotionRule.count(seconds: 60, secondsEach: 25), 2)
        XCTAssertEqual(PromotionRule.count(seconds: 600, secondsEach: 25), PromotionRule.maxPromoted)
        XCTAssertEqual(PromotionRule.count(seconds: 60, secondsEach: 0), 0)
        let results = [PromotionResult(candidate: 3, exploreSteps: 300, exploreAccuracy: 0.85, promotedSteps: 1200, promotedAccuracy: 0.90, seconds: 1),
                       PromotionResult(candidate: 4, exploreSteps: 300, exploreAccuracy: 0.83, promotedSteps: 1200, promotedAccuracy: 0.91, seconds: 1),
                       PromotionResult(candidate: 1, exploreSteps: 300, exploreAccuracy: 0.86, promotedSteps: 1200, promotedAccuracy: 0.91, seconds: 1)]
        // The best promoted accuracy wins (exact ties, FLOPs unknown: the lower candidate); the explore ranking (3)
        // is overturned.
        XCTAssertEqual(PromotionRule.winner(results, validationImages: 0)?.candidate, 1)
        XCTAssertNil(PromotionRule.winner([], validationImages: 6_000))
    }

    func testPromotionWinnerAmongStatisticalTiesIsTheLargestNetwork() {
        func result(_ candidate: Int, _ promoted: Double, flops: Int, steps: Int = 1200) -> PromotionResult {
            PromotionResult(candidate: candidate, exploreSteps: 300, exploreAccuracy: 0.88, promotedSteps: steps,
                            promotedAccuracy: promoted, seconds: 1, flops: flops)
        }
        // scripts/run seed 2's promotions: 0.9125 is within one standard error (0.0036 on 6,000 images) of 0.9135.
        let seed2 = [result(60, 0.9135, flops: 1_742_858), result(53, 0.9113, flops: 2_267_146),
                     result(54, 0.9083, flops: 946_442), result(31, 0.9125, flops: 10_316_170)]
        XCTAssertEqual(PromotionRule.winner(seed2, validationImages: 6_000)?.candidate, 31)
        // On 600,000 validation images the margin is 0.0004: 0.9125 is no longer a tie, and 0.9135 wins.
        XCTAssertEqual(PromotionRule.winner(seed2, validationImages: 600_000)?.candidate, 60)
        // A larger network outside the margin does not win; a tie at another promoted step count is not one.
        XCTAssertEqual(PromotionRule.winner([result(1, 0.92, flops: 10), result(2, 0.91, flops: 1_000)], validationImages: 6_000)?.candidate, 1)
        XCTAssertEqual(PromotionRule.winner([result(1, 0.92, flops: 10), result(2, 0.919, flops: 1_000, steps: 900),
                                             result(3, 0.918, flops: 20)], validationImages: 6_000)?.candidate, 3)
        // Equal FLOPs: the better promoted accuracy.
        XCTAssertEqual(PromotionRule.winner([result(1, 0.918, flops: 5), result(2, 0.92, flops: 5)], validationImages: 6_000)?.candidate, 2)
    }

    func testPromotionTakesTheFittestThenItsCostliestTies() {
        typealias E = PromotionRule.Entry
        // scripts/run seed 7 (Zen 4): the archive's top at 300 steps. On 6,000 images one standard error at 0.9017
        // is 0.0038, so everything down to 0.8979 is tied with the fittest.
        let seed7 = [E(candidate: 55, fitness: 0.9017, steps: 300, flops: 2_800_000),
                     E(candidate: 53, fitness: 0.8998, steps: 300, flops: 2_100_000),
                     E(candidate: 46, fitness: 0.8997, steps: 300, flops: 5_500_000),
                     E(candidate: 47, fitness: 0.8992, steps: 300, flops: 19_700_000),
                     E(candidate: 52, fitness: 0.8983, steps: 300, flops: 5_000_000),
                     E(candidate: 42, fitness: 0.8970, steps: 300, flops: 17_000_000),
                     E(candidate: 9, fitness: 0.95, steps: 1200, flops: 90_000_000)]
        XCTAssertEqual(PromotionRule.promotionOrder(seed7, count: 4, validationImages: 6_000).map(\.candidate), [55, 47, 46, 52],
                       "the fittest first, then its ties by FLOPs; 0.8970 is outside the margin, another fidelity never counts")
        XCTAssertEqual(PromotionRule.promotionOrder(seed7, count: 7, validationImages: 6_000).map(\.candidate), [55, 47, 46, 52, 53, 42])
        // With no validation images there is no margin: the order is the fitness order.
        XCTAssertEqual(PromotionRule.promotionOrder(seed7, count: 3, validationImages: 0).map(\.candidate), [55, 53, 46])
        XCTAssertEqual(PromotionRule.promotionOrder(seed7, count: 0, validationImages: 6_000), [])
        XCTAssertEqual(PromotionRule.promotionOrder([], count: 4, validationImages: 6_000), [])
    }

    func testOnlyNetworksTheFinalRetrainCanTrainLongEnoughArePromoted() {
        typealias E = PromotionRule.Entry
        // 300 s for the retrain, 54,000 + 6,000 images an epoch: 10 epochs need about 1,880 images/s.
        let entries = [E(candidate: 1, fitness: 0.91, steps: 300, imagesPerSecond: 1200),
                       E(candidate: 2, fitness: 0.90, steps: 300, imagesPerSecond: 3000),
                       E(candidate: 3, fitness: 0.89, steps: 300),
                       E(candidate: 4, fitness: 0.88, steps: 300, imagesPerSecond: 1900)]
        let kept = PromotionRule.finalTrainable(entries, finalSeconds: 300, trainImages: 54_000, validationImages: 6000)
        XCTAssertEqual(kept.map(\.candidate), [2, 3, 4], "the 1,200-images/s network gets 6 epochs; an unknown rate passes")
        XCTAssertEqual(PromotionRule.select(kept, count: 1).map(\.candidate), [2])
        XCTAssertEqual(PromotionRule.finalTrainable([entries[0]], finalSeconds: 300, trainImages: 54_000, validationImages: 6000),
                       [entries[0]], "when none fits, all stay: there is always a final network")
        XCTAssertEqual(PromotionRule.finalTrainable(entries, finalSeconds: 100, trainImages: 54_000, validationImages: 6000).map(\.candidate),
                       [3], "100 s fits 10 epochs of no known rate")
    }
}
