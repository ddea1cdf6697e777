import Data
import Engine
import Foundation

extension Trainer {
    /// Splits `data` as the config asks (a validation share of the training set, or none) and trains on it,
    /// evaluating on the validation split or, without one, the test set.
    public func run(_ data: DatasetPair, progress: ((TrainingProgress) -> Void)? = nil) throws(TrainingError) -> TrainingResult {
        if config.validationFraction > 0 {
            let parts = data.train.split(validationFraction: config.validationFraction, seed: config.seed)
            return try train(on: parts.train, evaluateOn: parts.validation, split: "validation", progress: progress)
        }
        return try train(on: data.train, evaluateOn: data.test, split: "test", progress: progress)
    }

    /// Trains for `config.epochs` (capped at `config.maxSteps`) over `trainSet` in whole, shuffled batches, then
    /// evaluates on `evaluationSet`. Continues from the current `step` when a checkpoint was restored: the
    /// batches before it are drawn and skipped, so a resumed run sees exactly the data the whole run would have.
    ///
    /// - Parameter normalization: defaults to the training set's own statistics.
    public func train(on trainSet: Dataset, evaluateOn evaluationSet: Dataset? = nil, split: String = "test",
                      normalization: Normalization? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) throws(TrainingError) -> TrainingResult {
        try checkCompatible(trainSet)
        if let evaluationSet { try checkCompatible(evaluationSet) }
        let batch = config.batchSize
        let perEpoch = trainSet.count / batch
        guard perEpoch > 0 || config.epochs == 0 || config.maxSteps == 0 else {
            throw .datasetTooSmall(images: trainSet.count, batchSize: batch)
        }
        // Saturating: Train builds with -Ounchecked, where a wrapped product would silently plan no steps.
        let (product, overflow) = config.epochs.multipliedReportingOverflow(by: perEpoch)
        let planned = overflow ? Int.max : product
        let total = min(planned, config.maxSteps ?? planned)
        let normalization = normalization ?? Normalization.fit(trainSet)
        let clock = ContinuousClock()
        let start = clock.now

        var loop = LoopState(totalSteps: total, startStep: executor.step)
        var waitSeconds = 0.0
        var resident = false
        if total > executor.step {
            // The data set on the device when the backend can hold it, else the host loader (BatchFeed).
            let feed = BatchFeed(trainSet: trainSet, config: config, normalization: normalization, executor: executor,
                                 seed: Self.loaderSeed(config.seed), perEpoch: perEpoch, totalSteps: total,
                                 startStep: loop.startStep)
            defer { feed.stop() }
            while executor.step < total, let b = feed.next(executor) {
                let stepIndex = executor.step
                var scheduleStep = stepIndex
                if let limit = config.timeLimit {
                    let byTime = start.duration(to: clock.now).seconds / limit * Double(total)
                    if byTime >= Double(total) {
                        // Out of time: the steps trained since the last read close a partial epoch.
                        var window = executor.takeMetrics()
                        window.add(carriedMetrics)
                        carriedMetrics = StepMetrics()
                        guard window.lossSum.isFinite else { throw .diverged(step: stepIndex, loss: window.meanLoss) }
                        loop.epochMetrics.add(window)
                        if loop.epochMetrics.samples > 0 { loop.closeEpoch(b.indexInEpoch > 0 ? b.epoch + 1 : b.epoch, evaluation: nil) }
                        break
                    }
                    scheduleStep = max(stepIndex, Int(byTime))
                }
                let rate = config.schedule.rate(step: scheduleStep, totalSteps: total, peak: config.learningRate)
                executor.trainStep(learningRate: Float(rate))
                let step = stepIndex + 1
                let endOfEpoch = b.indexInEpoch == perEpoch - 1
                guard step % config.metricsEvery == 0 || endOfEpoch || step == total else { continue }

                var window = executor.takeMetrics()
                window.add(carriedMetrics)
                carriedMetrics = StepMetrics()
                guard window.lossSum.isFinite else { throw .diverged(step: step, loss: window.meanLoss) }
                loop.epochMetrics.add(window)
                let trainSeconds = (start.duration(to: clock.now) - loop.evaluationTime).seconds
                let stepsPerSecond = Double(step - loop.startStep) / max(trainSeconds, 1e-9)
                progress?(TrainingProgress(
                    epoch: b.epoch + 1, epochs: config.epochs, step: step, totalSteps: total,
                    imagesPerSecond: stepsPerSecond * Double(batch), loss: window.meanLoss, accuracy: window.accuracy,
                    learningRate: rate, elapsed: start.duration(to: clock.now).seconds,
                    eta: Double(total - step) / max(stepsPerSecond, 1e-9), endOfEpoch: endOfEpoch))
                if endOfEpoch || step == total {
                    var evaluation: EvaluationResult?
                    let every = config.evaluateEveryEpochs
                    if let evaluationSet, endOfEpoch, step < total, every > 0, (b.epoch + 1) % every == 0 {
                        let t = clock.now
                        evaluation = try evaluate(evaluationSet, normalization: normalization, split: split)
                        loop.evaluationTime += t.duration(to: clock.now)
                    }
                    loop.closeEpoch(b.epoch + 1, evaluation: evaluation)
                }
            }
            waitSeconds = feed.waitSeconds
            resident = feed.isResident
        }
        let trainSeconds = (start.duration(to: clock.now) - loop.evaluationTime).seconds
        var finalEvaluation: EvaluationResult?
        if let evaluationSet {
            let t = clock.now
            finalEvaluation = try evaluate(evaluationSet, normalization: normalization, split: split)
            loop.evaluationTime += t.duration(to: clock.now)
            if loop.history.isEmpty || loop.history[loop.history.count - 1].evaluation != nil {
                loop.history.append(EpochRecord(epoch: loop.history.last?.epoch ?? 0, trainLoss: .nan, trainAccuracy: .nan,
                                                evaluation: finalEvaluation))
            } else {
                loop.history[loop.history.count - 1].evaluation = finalEvaluation
            }
        }
        let steps = executor.step - loop.startStep
        let last = loop.history.last { !$0.trainLoss.isNaN }
        return TrainingResult(
            trainLoss: last?.trainLoss ?? .nan, trainAccuracy: last?.trainAccuracy ?? .nan,
            evaluation: finalEvaluation, history: loop.history,
            imagesPerSecond: steps > 0 ? Double(steps * batch) / max(trainSeconds, 1e-9) : 0,
            loaderWaitFraction: trainSeconds > 0 ? waitSeconds / trainSeconds : 0, residentData: resident,
            epochs: perEpoch > 0 ? Double(executor.step) / Double(perEpoch) : 0, steps: executor.step,
            parameters: cost.parameters, flops: cost.flops, arenaBytes: plan.arenaCount * 4, deviceBytes: plan.totalBytes,
            seconds: start.duration(to: clock.now).seconds, trainSeconds: trainSeconds,
            evaluationSeconds: loop.evaluationTime.seconds)
    }
}

/// Book-keeping of one `train` call.
struct LoopState {
    let totalSteps: Int
    let startStep: Int
    var epochMetrics = StepMetrics()
    var history: [EpochRecord] = []
    var evaluationTime = Duration.zero

    init(totalSteps: Int, startStep: Int) {
        self.totalSteps = totalSteps
        self.startStep = startStep
    }

    mutating func closeEpoch(_ epoch: Int, evaluation: EvaluationResult?) {
        history.append(EpochRecord(epoch: epoch, trainLoss: epochMetrics.meanLoss, trainAccuracy: epochMetrics.accuracy,
                                   evaluation: evaluation))
        epochMetrics = StepMetrics()
    }
}

extension StepMetrics {
    mutating func add(_ other: StepMetrics) {
        lossSum += other.lossSum
        correct += other.correct
        samples += other.samples
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
