import Foundation
import Train

/// The network a run hands the user (`final.py`, `final.safetensors`, `final_network.json`): the best
/// network, retrained from scratch with `FinalRecipe` in the time the run has left.
public struct FinalNetworkResult: Sendable, Codable {
    public var candidate: Int
    /// How it was chosen: `promoted` (won the promotions, `PromotionRule.winner`) or `archive` (best explore fitness).
    public var chosenBy: String
    public var source: String
    public var weights: String?
    public var seconds: Double
    public var epochs: Int
    public var retrain: RetrainResult?
    public var promotions: [PromotionResult]
    public var failure: String?
    /// Throughput of the recipe measured just before retraining (nil when not measured).
    public var probedImagesPerSecond: Double?
    /// The width factor the found network was scaled by for the retrain (`FinalScaling`; nil or 1: as found).
    public var widthFactor: Double?
    /// The learning-rate factor of the retrain that counts, when a diverged one was repeated (`FinalRecipe`).
    public var learningRateScale: Double?
    /// Set when final.py and final.safetensors are the search's own network and weights, not the retrain's
    /// (`KeptWeights`).
    public var kept: KeptWeights?
}

extension SearchEngine {
    static let finalSourceName = "final.py"
    static let finalWeightsName = "final.safetensors"
    static let finalNetworkJSON = "final_network.json"
    static let promotionsJSON = "promotions.json"

    /// Promotes the archive's fittest networks (`PromotionRule`) while each is predicted to finish within
    /// `seconds`; with `finalSeconds` (the final retrain's time), only those it can train long enough
    /// (`PromotionRule.finalTrainable`). The results go to promotions.json.
    public func promote(seconds: Double, finalSeconds: Double? = nil) async -> [PromotionResult] {
        guard let trainer = evaluator as? TrainerEvaluator else { return [] }
        let start = Date()
        var entries = state.networks.elites.values.map {
            PromotionRule.Entry(candidate: $0.payload.candidate, fitness: $0.fitness, steps: $0.payload.steps ?? 0,
                                imagesPerSecond: meta($0.payload.candidate)?.metrics?.imagesPerSecond ?? 0,
                                flops: $0.payload.cost.flops)
        }
        if let finalSeconds {
            let sizes = trainer.splitSizes
            entries = PromotionRule.finalTrainable(entries, finalSeconds: finalSeconds, trainImages: sizes.train,
                                                   validationImages: sizes.validation)
        }
        let chosen = PromotionRule.promotionOrder(entries, count: PromotionRule.maxPromoted,
                                                  validationImages: trainer.splitSizes.validation)
        var results: [PromotionResult] = []
        for entry in chosen {
            guard let elite = state.networks.elites.values.first(where: { $0.payload.candidate == entry.candidate })?.payload,
                  let source = directory.read(directory.candidateFile(entry.candidate, .source)),
                  case .success(let checked) = checker.check(source, file: "net.py") else { continue }
            let steps = max(entry.steps, 1) * PromotionRule.stepsFactor
            // Seconds per step from the candidate's own explore training.
            let perStep = meta(entry.candidate)?.metrics.map { $0.seconds / Double(max($0.steps, 1)) } ?? 0
            let elapsed = Date().timeIntervalSince(start)
            guard RunTimeSplit.mayStart(elapsed: elapsed, predicted: perStep * Double(steps) * 1.15, limit: seconds) else { continue }
            let weights = directory.candidateFile(entry.candidate, .weights)
            let promotedPath = directory.candidateFile(entry.candidate, .refined)
            let outcome = await pool.onDevice(catching: { device throws(CandidateFailure) in
                try trainer.continueTraining(checked.graph, weightsPath: weights, steps: steps, savingTo: promotedPath, device: device)
            })
            switch outcome {
            case .success(let m):
                results.append(PromotionResult(candidate: entry.candidate, exploreSteps: entry.steps, exploreAccuracy: elite.accuracy,
                                               promotedSteps: entry.steps + steps, promotedAccuracy: m.validationAccuracy,
                                               seconds: m.seconds, imagesPerSecond: m.imagesPerSecond,
                                               flops: try? checked.graph.cost().flops))
            case .failure(let f):
                warn("promotion of #\(entry.candidate) failed: \(f)")
            }
        }
        do { try directory.writeJSON(results, to: directory.path(Self.promotionsJSON)) } catch { warn("\(error)") }
        return results
    }

    /// Retrains the chosen network from scratch in `seconds` (epochs fitted from its measured throughput) and
    /// writes final.py, final.safetensors and final_network.json. Nil when the archive is empty.
    public func finalNetwork(seconds: Double, promotions: [PromotionResult],
                             progress: (@Sendable (TrainingProgress) -> Void)? = nil) async -> FinalNetworkResult? {
        let winner = PromotionRule.winner(promotions, validationImages: (evaluator as? TrainerEvaluator)?.splitSizes.validation ?? 0)
        guard let candidate = winner?.candidate ?? state.networks.best?.payload.candidate,
              let source = directory.read(directory.candidateFile(candidate, .source)) else { return nil }
        let sourcePath = directory.path(Self.finalSourceName)
        var result = FinalNetworkResult(candidate: candidate, chosenBy: winner == nil ? "archive" : "promoted", source: sourcePath,
                                        weights: nil, seconds: seconds, epochs: 0, retrain: nil, promotions: promotions)
        do { try directory.writeText(source, to: sourcePath) } catch { result.failure = "\(error)" }
        guard let trainer = evaluator as? TrainerEvaluator else {
            result.failure = "this evaluator cannot retrain"
            return save(result)
        }
        guard case .success(let found) = checker.check(source, file: Self.finalSourceName) else {
            result.failure = "the best network no longer checks"
            return save(result)
        }
        // The promoted run's throughput when there is one: hundreds of steps time better than the explore run.
        let promotedRate = winner.map(\.imagesPerSecond) ?? 0
        var rate = promotedRate > 0 ? promotedRate : meta(candidate)?.metrics?.imagesPerSecond ?? 0
        let sizes = trainer.splitSizes
        let probeStart = Date()
        // NAS-Bench-201 networks keep the benchmark's widths: their cells are the search space.
        let wider = scalesFinalNetwork && config.space == nil
            ? await widen(found, rate: rate, seconds: seconds, trainer: trainer) : (factor: 1, network: found, rate: rate)
        let checked = wider.network
        if wider.factor != 1 {
            // `widen` timed this network with augmentation: no second probe. A network too small to augment
            // (`FinalRecipe.augments`) trains a little faster than timed; the clock-ended schedule absorbs that.
            rate = wider.rate
            result.widthFactor = wider.factor
            result.probedImagesPerSecond = wider.rate
            do { try directory.writeText(checker.codec.emit(checked.graph), to: sourcePath) } catch { result.failure = "\(error)" }
        }
        let parameters = (try? checked.graph.cost().parameters) ?? 0
        var recipe = FinalRecipe.fitted(seconds: seconds - Date().timeIntervalSince(probeStart), imagesPerSecond: rate,
                                        trainImages: sizes.train, validationImages: sizes.validation, parameters: parameters)
        // The search's throughput is measured without augmentation and over short runs: time the recipe itself
        // (a few seconds) and refit; if augmentation then no longer fits its 10 epochs, time again without it.
        for _ in 0..<2 where recipe.epochs > 0 && wider.factor == 1 {
            let probe = recipe
            let measured = await pool.onDevice { device in trainer.measureThroughput(checked.graph, recipe: probe, device: device) }
            guard measured > 0 else { break }
            let left = seconds - Date().timeIntervalSince(probeStart)
            let refit = FinalRecipe.fitted(seconds: left, imagesPerSecond: measured, trainImages: sizes.train,
                                           validationImages: sizes.validation, parameters: parameters)
            result.probedImagesPerSecond = measured
            if refit.augment == recipe.augment || !recipe.augment {
                recipe = FinalRecipe(epochs: refit.epochs, augment: recipe.augment && refit.augment, timeLimit: refit.timeLimit)
                break
            }
            recipe = refit   // augmentation dropped: measure the plain recipe once more
        }
        // The time limit runs from here and leaves room for the test evaluation and saving after it.
        if recipe.epochs > 0 {
            let testSeconds = Double(sizes.test) / max(result.probedImagesPerSecond ?? rate, 1) / FinalRecipe.evaluationSpeedup + 2
            recipe.timeLimit = max(1, seconds - Date().timeIntervalSince(probeStart) - testSeconds)
        }
        result.epochs = recipe.epochs
        guard recipe.epochs > 0 else {
            result.failure = String(format: "no epoch fits in %.0f s at %.0f images/s", seconds, rate)
            await keepSearchWeightsIfBetter(&result, found: found, promotion: winner, trainer: trainer)
            return save(result)
        }
        let weightsPath = directory.path(Self.finalWeightsName)
        let trainStart = Date(), plannedSeconds = recipe.timeLimit
        retraining: for attempt in 0...FinalRecipe.divergenceRetries {
            let chosen = recipe
            let outcome = await pool.onDevice(catching: { device throws(CandidateFailure) in
                try trainer.retrain(checked.graph, recipe: chosen, savingTo: weightsPath, device: device, progress: progress)
            })
            switch outcome {
            case .success(let r):
                result.retrain = r
                result.weights = weightsPath
                result.failure = nil
            case .failure(let f):
                result.failure = f.description
                // Diverged early enough that a retry still gets half the planned time: again, with a smaller
                // learning rate, in the time left.
                guard case .divergence = f, attempt < FinalRecipe.divergenceRetries,
                      let planned = plannedSeconds else { break retraining }
                let left = planned - Date().timeIntervalSince(trainStart)
                guard left > planned / 2 else { break retraining }
                recipe.learningRateScale *= FinalRecipe.divergenceLearningRateFactor
                recipe.timeLimit = left
                result.learningRateScale = recipe.learningRateScale
                warn("the final network diverged (\(f)); training it again with the learning rate x\(recipe.learningRateScale)")
                continue retraining
            }
            break retraining
        }
        await keepSearchWeightsIfBetter(&result, found: found, promotion: winner, trainer: trainer)
        return save(result)
    }

    /// The widest `FinalScaling` factor of `network` whose measured throughput (the final recipe with
    /// augmentation, a few seconds per factor) still trains it long enough (`FinalScaling.fits`) in what is left of
    /// `seconds`; factor 1 and the network as found when none does, or when the found width itself fits too
    /// few epochs for any wider one to (the first factor costs at least its square root in throughput).
    func widen(_ network: CheckedCandidate, rate: Double, seconds: Double,
               trainer: TrainerEvaluator) async -> (factor: Double, network: CheckedCandidate, rate: Double) {
        let start = Date()
        let sizes = trainer.splitSizes
        func epochs(_ imagesPerSecond: Double) -> Double {
            FinalRecipe.epochsFitting(seconds: seconds - Date().timeIntervalSince(start), imagesPerSecond: imagesPerSecond,
                                      trainImages: sizes.train, validationImages: sizes.validation)
        }
        var best = (factor: 1.0, network: network, rate: rate)
        let first = FinalScaling.factors.first ?? 1
        guard FinalScaling.fits(epochs: epochs(rate) / first, factor: first) else { return best }
        for factor in FinalScaling.factors {
            guard let graph = FinalScaling.scaled(network.graph, by: factor),
                  case .success(let wider) = checker.check(checker.codec.emit(graph), file: Self.finalSourceName) else { break }
            let probe = FinalRecipe(epochs: 1, augment: true)
            let measured = await pool.onDevice { device in trainer.measureThroughput(wider.graph, recipe: probe, device: device) }
            guard measured > 0, FinalScaling.fits(epochs: epochs(measured), factor: factor) else { break }
            best = (factor, wider, measured)
        }
        return best
    }

    private func save(_ result: FinalNetworkResult) -> FinalNetworkResult {
        do { try directory.writeJSON(result, to: directory.path(Self.finalNetworkJSON)) } catch { warn("\(error)") }
        return result
    }

    /// A candidate's meta.json record.
    func meta(_ id: Int) -> CandidateRecord? {
        try? directory.readJSON(CandidateRecord.self, from: directory.candidateFile(id, .meta))
    }
}
