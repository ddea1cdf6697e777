import Data
import Engine
import Foundation
import NetIR
import Train

/// The default evaluator: trains each candidate with Train's `Trainer` on one backend per device, validates
/// on a fixed held-out share of the training set, and keeps the test set for the final report.
public final class TrainerEvaluator: Evaluator, @unchecked Sendable {
    /// One backend per device; `replaceBackends` may swap them between trainings.
    public var backends: [any Backend] { lock.withLock { currentBackends } }
    private var currentBackends: [any Backend]
    public let config: TrainingConfig
    public let trainSet: Dataset
    public let validationSet: Dataset
    public let testSet: Dataset
    public let normalization: Normalization
    /// Seconds one candidate may train; nil for no limit. Candidates predicted to overrun are not started.
    public let timeBudget: Double?
    private let lock = NSLock()
    /// Observed training throughput (forward FLOPs x images per second) per device, for the time prediction.
    private var throughput: [Int: Double] = [:]
    /// The throughputs of the last `recentRateCount` children, every device's, oldest first.
    private var recentRates: [Double] = []
    static let recentRateCount = 8

    /// `config.validationFraction` of `data.train` (seeded by `config.seed`) becomes the validation split.
    public init(backends: [any Backend], data: DatasetPair, config: TrainingConfig, timeBudget: Double? = nil) {
        currentBackends = backends
        var c = config
        let fraction = config.validationFraction > 0 ? config.validationFraction : 0.1
        let parts = data.train.split(validationFraction: fraction, seed: config.seed)
        trainSet = parts.train
        validationSet = parts.validation
        testSet = data.test
        c.validationFraction = 0   // we split once here, so every candidate sees the same split
        self.config = c
        normalization = Normalization.fit(parts.train)
        self.timeBudget = timeBudget
    }

    public var deviceNames: [String] { backends.map(\.name) }

    /// The backend of `device` as it is now.
    func backend(for device: Int) -> any Backend {
        let list = backends
        return list[device % max(list.count, 1)]
    }

    /// Later trainings, tests and retrains run on `replacement` (one backend per device, as many as before):
    /// a model-driven search hands its final phase the cores its model server needed while the search ran.
    public func replaceBackends(_ replacement: [any Backend]) {
        lock.withLock {
            precondition(replacement.count == currentBackends.count, "one backend per device")
            currentBackends = replacement
        }
    }

    public func evaluate(_ job: EvaluationJob, device: Int) throws(CandidateFailure) -> CandidateMetrics {
        let backend = backend(for: device)
        var cost: NetworkCost
        do { cost = try job.graph.cost() } catch { throw .shape(String(describing: error)) }
        try checkPredictedTime(cost: cost, device: device)
        let trainer = try makeTrainer(job.graph, backend)
        var inherited = Set<String>()
        // Later loads overwrite earlier ones, so the first parent goes last and wins.
        for path in job.inheritFrom.reversed() where FileManager.default.fileExists(atPath: path) {
            if let report = try? trainer.loadWeights(from: path, strict: false, wholeModules: true) { inherited.formUnion(report.loaded) }
        }
        let result: TrainingResult
        do {
            result = try trainer.train(on: trainSet, evaluateOn: validationSet, split: "validation",
                                       normalization: normalization)
        } catch {
            throw Self.failure(error)
        }
        guard let evaluation = result.evaluation else { throw .backend("training returned no validation result") }
        guard evaluation.loss.isFinite else { throw .divergence("validation loss is \(evaluation.loss)") }
        if result.trainSeconds > 0, result.steps > 0 {
            recordThroughput(Double(cost.flops) * Double(result.steps * config.batchSize) / result.trainSeconds, device: device)
        }
        if let path = job.weightsPath {
            do { try trainer.saveWeights(to: path, metadata: ["candidate": "\(job.candidate)"]) } catch {
                throw .backend("could not save weights: \(error)")
            }
        }
        cost = trainer.cost
        return CandidateMetrics(validationAccuracy: evaluation.accuracy, validationLoss: evaluation.loss,
                                trainAccuracy: result.trainAccuracy, trainLoss: result.trainLoss, steps: result.steps,
                                epochs: result.epochs, seconds: result.seconds, imagesPerSecond: result.imagesPerSecond,
                                inheritedTensors: inherited.count,
                                totalTensors: trainer.plan.parameterSlots.count + trainer.plan.bufferSlots.count)
    }

    public func test(_ graph: Graph, weightsPath: String, device: Int) throws(CandidateFailure) -> TestMetrics {
        let trainer = try makeTrainer(graph, backend(for: device))
        do { try trainer.loadWeights(from: weightsPath, strict: true) } catch {
            throw .backend("cannot load \(weightsPath): \(error)")
        }
        do {
            let r = try trainer.evaluate(testSet, normalization: normalization, split: "test")
            return TestMetrics(accuracy: r.accuracy, loss: r.loss, samples: r.samples)
        } catch {
            throw Self.failure(error)
        }
    }

    public func refine(_ graph: Graph, weightsPath: String, epochs: Int, savingTo: String, device: Int,
                       progress: (@Sendable (TrainingProgress) -> Void)?) throws(CandidateFailure) -> (CandidateMetrics, TestMetrics) {
        var longer = config
        longer.epochs = epochs
        longer.maxSteps = nil
        let trainer = try makeTrainer(graph, backend(for: device), config: longer)
        do { try trainer.loadWeights(from: weightsPath, strict: true) } catch {
            throw .backend("cannot load \(weightsPath): \(error)")
        }
        do {
            let r = try trainer.train(on: trainSet, evaluateOn: validationSet, split: "validation", normalization: normalization,
                                      progress: progress)
            try? trainer.saveWeights(to: savingTo, metadata: ["refined_epochs": "\(epochs)"])
            let t = try trainer.evaluate(testSet, normalization: normalization, split: "test")
            let v = r.evaluation
            return (CandidateMetrics(validationAccuracy: v?.accuracy ?? .nan, validationLoss: v?.loss ?? .nan,
                                     trainAccuracy: r.trainAccuracy, trainLoss: r.trainLoss, steps: r.steps, epochs: r.epochs,
                                     seconds: r.seconds, imagesPerSecond: r.imagesPerSecond),
                    TestMetrics(accuracy: t.accuracy, loss: t.loss, samples: t.samples))
        } catch {
            throw Self.failure(error)
        }
    }

    func makeTrainer(_ graph: Graph, _ backend: any Backend, config: TrainingConfig? = nil) throws(CandidateFailure) -> Trainer {
        do { return try Trainer(graph: graph, config: config ?? self.config, backend: backend) } catch { throw Self.failure(error) }
    }

    /// Steps this configuration takes on the training split.
    var plannedSteps: Int {
        let perEpoch = trainSet.count / max(config.batchSize, 1)
        let planned = config.epochs * perEpoch
        return min(planned, config.maxSteps ?? planned)
    }

    /// Refuses a candidate whose predicted training time (from the throughput seen so far on this device)
    /// exceeds the budget by a quarter: the trainer cannot be stopped midway, so the check comes first.
    func checkPredictedTime(cost: NetworkCost, device: Int) throws(CandidateFailure) {
        guard let budget = timeBudget, let predicted = predictedSeconds(cost, device: device) else { return }
        if predicted > budget * Self.budgetTolerance {
            throw .timeout(String(format: "predicted %.0f s of training, budget %.0f s", predicted, budget))
        }
    }

    /// Sets the throughput (forward FLOPs x images per second) the time predictions on `device` use.
    func recordThroughput(_ rate: Double, device: Int) {
        lock.withLock {
            throughput[device] = rate
            recentRates.append(rate)
            if recentRates.count > Self.recentRateCount { recentRates.removeFirst(recentRates.count - Self.recentRateCount) }
        }
    }

    /// The median throughput of the last `recentRateCount` children (nil: none yet). Small networks train at a
    /// fraction of a large one's FLOPs rate (a 2-core run: 3-10 GFLOP/s under 0.5 MFLOPs, 15-25 above 5), so a
    /// cap for small children taken from the fastest rate lets through ones that take twice their share.
    func medianRecentRate() -> Double? {
        let sorted = lock.withLock { recentRates }.filter { $0 > 0 }.sorted()
        guard !sorted.isEmpty else { return nil }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// How far over the budget a prediction may be before the candidate is refused (predictions are rough).
    static let budgetTolerance = 1.25

    /// Seconds a network of this cost is predicted to train on `device` (nil: the device has no throughput yet,
    /// or any device when nil: the fastest seen), from FLOPs per image and the FLOPs per second measured so far.
    public func predictedSeconds(_ cost: NetworkCost, device: Int? = nil) -> Double? {
        guard let rate = rate(device: device) else { return nil }
        return Double(cost.flops) * imagesPerChild / rate
    }

    /// The throughput `device` measured last, or the fastest seen when nil (nil: none yet).
    func rate(device: Int? = nil) -> Double? {
        let rate = lock.withLock { device.map { throughput[$0] } ?? throughput.values.max() }
        return rate.flatMap { $0 > 0 ? $0 : nil }
    }

    /// FLOPs per sample a child trains in `seconds` at `rate` FLOPs x images per second.
    func flops(trainingIn seconds: Double, rate: Double) -> Double { max(seconds, 0) * rate / imagesPerChild }

    /// Images one child trains on (its planned steps x the batch size).
    var imagesPerChild: Double { Double(plannedSteps * config.batchSize) }

    /// The most FLOPs per sample a network may have and still be predicted to fit the time budget (tolerance
    /// included) at `rate` FLOPs x images per second: the bound `fitsBudget` applies. nil without a budget.
    public func flopsWithinBudget(rate: Double) -> Double? {
        guard let budget = timeBudget, rate > 0 else { return nil }
        return flops(trainingIn: budget * Self.budgetTolerance, rate: rate)
    }

    /// The most FLOPs per sample a child may have to be predicted to train within `seconds` at the median
    /// recent throughput (`medianRecentRate`; nil: none seen yet). Why not the fastest seen: a closing
    /// generation capped that way overran the exploring share by 30 s (a 13-MFLOPs child took 15 s).
    public func flopsTraining(within seconds: Double) -> Double? {
        medianRecentRate().map { flops(trainingIn: seconds, rate: $0) }
    }

    /// The same bound at the rate `probedRate` measures now (nil without a budget, which skips the probe).
    public func probedFlopsWithinBudget(device: Int = 0) -> Double? {
        guard timeBudget != nil, let rate = probedRate(device: device) else { return nil }
        return flopsWithinBudget(rate: rate)
    }

    /// Training rate (forward FLOPs x images per second) of a small convolutional network at full input
    /// resolution (`BuiltinNetwork.smallcnn`, the kind of network children near the budget are), timed over
    /// `probeSteps` steps after a short warm-up: about a second on 2 cores. The rate is the machine's with its
    /// cores to itself: the faster of the wall-clock rate and the CPU-clock rate times the core count (the
    /// pool's threads spin while they wait, so on a quiet machine the two agree). The wall clock alone made
    /// the bounds follow whatever else ran in that second: under a load of 13 on 2 cores a probe measured
    /// 4e8, a hundredth of the quiet rate, the box ended at 0.9 MFLOPs, below most networks that trained well
    /// within the budget, and exploring children were aimed at the small ones. Erring high costs at most an
    /// empty strip at the top (an accelerator, whose work the CPU clock misses, gets the FLOPs limit).
    /// nil when the probe fails.
    public func probedRate(device: Int = 0) -> Double? {
        let input = TensorShape(channels: trainSet.shape.channels, height: trainSet.shape.height, width: trainSet.shape.width)
        guard let graph = try? BuiltinNetwork.smallcnn.graph(input: input, classes: trainSet.classes),
              let flops = try? graph.cost().flops,
              let t = measureThroughput(graph, config: config, steps: Self.probeSteps, warmup: Self.probeWarmup, device: device)
        else { return nil }
        let cores = Double(max(ProcessInfo.processInfo.activeProcessorCount, 1))
        let images = max(t.wall, t.cpu * cores)
        return images > 0 ? images * Double(flops) : nil
    }

    static let probeSteps = 30
    static let probeWarmup = 5

    /// Whether a network of this cost is predicted to fit the time budget (true without a budget or a prediction).
    public func fitsBudget(_ cost: NetworkCost) -> Bool {
        guard let budget = timeBudget, let predicted = predictedSeconds(cost) else { return true }
        return predicted <= budget * Self.budgetTolerance
    }

    static func failure(_ error: TrainingError) -> CandidateFailure {
        switch error {
        case .diverged: return .divergence(error.description)
        case .network(let e): return .shape(e.description)
        case .outOfMemory(let m): return .outOfMemory(m)
        case .backend(.outOfMemory): return .outOfMemory(error.description)
        case .backend(.unsupported), .backend(.noDevice), .backend(.failed): return .backend(error.description)
        case .dataMismatch(let m): return .shape(m)
        case .plan, .invalidConfig, .datasetTooSmall: return .backend(error.description)
        }
    }
}
