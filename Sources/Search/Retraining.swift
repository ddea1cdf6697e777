import Data
import Foundation
import NetIR
import Train

/// What a from-scratch retrain measured: the weights kept are those of the best validation epoch.
public struct RetrainResult: Sendable, Codable, Equatable {
    public var epochs: Int
    public var bestEpoch: Int
    public var validationAccuracy: Double
    public var testAccuracy: Double
    public var testLoss: Double
    public var imagesPerSecond: Double
    public var seconds: Double
    public var augmented: Bool
}

extension TrainerEvaluator {
    /// Training images per epoch and validation images, for fitting a recipe's epochs to a time budget.
    public var splitSizes: (train: Int, validation: Int, test: Int) { (trainSet.count, validationSet.count, testSet.count) }

    /// Trains `graph` from fresh weights with `recipe`, validating after every epoch and saving the weights of
    /// the best validation epoch to `savingTo`; those weights are then tested on the test set.
    public func retrain(_ graph: Graph, recipe: FinalRecipe, savingTo path: String, device: Int,
                        progress: (@Sendable (TrainingProgress) -> Void)? = nil) throws(CandidateFailure) -> RetrainResult {
        let backend = backend(for: device)
        let trainingConfig = recipe.trainingConfig(batchSize: config.batchSize, learningRate: config.learningRate, seed: config.seed)
        let trainer = try makeTrainer(graph, backend, config: trainingConfig)
        var best = -Double.infinity
        var bestEpoch = 0
        var saveError: String?
        let validation = validationSet
        let norm = normalization
        let result: TrainingResult
        do {
            result = try trainer.train(on: trainSet, evaluateOn: validationSet, split: "validation", normalization: normalization) { p in
                progress?(p)
                // The last epoch is validated by the loop itself, below.
                guard p.endOfEpoch, p.step < p.totalSteps, let v = try? trainer.evaluate(validation, normalization: norm, split: "validation"),
                      v.accuracy > best else { return }
                best = v.accuracy
                bestEpoch = p.epoch
                do { try trainer.saveWeights(to: path, metadata: ["epoch": "\(p.epoch)"]) } catch { saveError = "\(error)" }
            }
        } catch {
            throw Self.failure(error)
        }
        if let saveError { throw .backend("could not save \(path): \(saveError)") }
        // Epochs trained: fewer than planned when the time limit ended the run (the last one partly).
        let trained = Int(result.epochs.rounded(.up))
        if let last = result.evaluation, last.accuracy >= best || bestEpoch == 0 {
            best = last.accuracy
            bestEpoch = trained
            do { try trainer.saveWeights(to: path, metadata: ["epoch": "\(trained)"]) } catch {
                throw .backend("could not save \(path): \(error)")
            }
        } else {
            do { try trainer.loadWeights(from: path, strict: true) } catch { throw .backend("cannot reload \(path): \(error)") }
        }
        do {
            let t = try trainer.evaluate(testSet, normalization: normalization, split: "test")
            return RetrainResult(epochs: trained, bestEpoch: bestEpoch, validationAccuracy: best, testAccuracy: t.accuracy,
                                 testLoss: t.loss, imagesPerSecond: result.imagesPerSecond, seconds: result.seconds,
                                 augmented: recipe.augment)
        } catch {
            throw Self.failure(error)
        }
    }

    /// Training images per second of `graph` under `recipe` (its augmentation included), timed over `steps`
    /// steps from fresh weights after `warmup` untimed ones (plans and caches settle first). 0 when it fails.
    public func measureThroughput(_ graph: Graph, recipe: FinalRecipe, steps: Int = 60, warmup: Int = 10, device: Int) -> Double {
        measureThroughput(graph, config: recipe.trainingConfig(batchSize: config.batchSize, learningRate: config.learningRate,
                                                               seed: config.seed), steps: steps, warmup: warmup, device: device)?.wall ?? 0
    }

    /// Images per second of `graph` under the training configuration `c`, timed as above, by the wall clock and
    /// by the process's CPU clock (all threads together); nil when training fails.
    public func measureThroughput(_ graph: Graph, config c: TrainingConfig, steps: Int, warmup: Int,
                                  device: Int) -> (wall: Double, cpu: Double)? {
        var c = c
        c.epochs = max(1, ((warmup + steps) * c.batchSize) / max(trainSet.count, 1) + 1)
        c.maxSteps = warmup + steps
        c.timeLimit = nil
        c.metricsEvery = warmup
        guard let trainer = try? makeTrainer(graph, backend(for: device), config: c) else { return nil }
        var warmAt: Double?, endAt = 0.0, cpuWarm = 0.0, cpuEnd = 0.0
        guard (try? trainer.train(on: trainSet, normalization: normalization, progress: { p in
            if p.step == warmup { warmAt = p.elapsed; cpuWarm = Self.processCPUSeconds() }
            if p.step == warmup + steps { endAt = p.elapsed; cpuEnd = Self.processCPUSeconds() }
        })) != nil, let start = warmAt, endAt > start else { return nil }
        let images = Double(steps * c.batchSize)
        return (images / (endAt - start), cpuEnd > cpuWarm ? images / (cpuEnd - cpuWarm) : 0)
    }

    /// CPU seconds this process has used, all threads together.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Trains a network further from `weightsPath` for `steps` optimizer steps (a fresh cosine schedule with the
    /// search's warm-up), saves the weights to `savingTo` and returns the validation metrics: the higher
    /// fidelity of a promoted candidate.
    public func continueTraining(_ graph: Graph, weightsPath: String, steps: Int, savingTo: String,
                                 device: Int) throws(CandidateFailure) -> CandidateMetrics {
        var longer = config
        longer.maxSteps = steps
        longer.epochs = max(1, (steps * config.batchSize + trainSet.count - 1) / max(trainSet.count, 1))
        let trainer = try makeTrainer(graph, backend(for: device), config: longer)
        do { try trainer.loadWeights(from: weightsPath, strict: true) } catch {
            throw .backend("cannot load \(weightsPath): \(error)")
        }
        do {
            let r = try trainer.train(on: trainSet, evaluateOn: validationSet, split: "validation", normalization: normalization)
            guard let v = r.evaluation, v.loss.isFinite else { throw CandidateFailure.divergence("validation loss is not finite") }
            do { try trainer.saveWeights(to: savingTo, metadata: ["steps": "\(r.steps)"]) } catch {
                throw CandidateFailure.backend("could not save \(savingTo): \(error)")
            }
            return CandidateMetrics(validationAccuracy: v.accuracy, validationLoss: v.loss, trainAccuracy: r.trainAccuracy,
                                    trainLoss: r.trainLoss, steps: r.steps, epochs: r.epochs, seconds: r.seconds,
                                    imagesPerSecond: r.imagesPerSecond)
        } catch let error as TrainingError {
            throw Self.failure(error)
        } catch let error as CandidateFailure {
            throw error
        } catch {
            throw .backend("\(error)")
        }
    }
}
