import Data
import Engine
import NetIR

extension Trainer {
    /// Loss and accuracy over every image of `dataset` in eval mode (running BatchNorm statistics, no
    /// dropout). The last partial batch is padded with label -1, which the loss ignores.
    public func evaluate(_ dataset: Dataset, normalization: Normalization, split: String = "test") throws(TrainingError) -> EvaluationResult {
        try checkCompatible(dataset)
        let clock = ContinuousClock()
        let start = clock.now
        let target = try evaluationExecutor()
        let loader = BatchLoader(dataset: dataset, batchSize: target.plan.options.batchSize, shuffle: false,
                                 augmentation: .none, normalization: normalization, seed: 0, dropLast: false,
                                 prefetch: 2, epochs: 1)
        defer { loader.stop() }
        while let batch = loader.next() {
            target.setBatch(images: batch.images, labels: batch.labels)
            target.evalStep()
        }
        let metrics = target.takeMetrics()
        return EvaluationResult(split: split, loss: metrics.meanLoss, accuracy: metrics.accuracy,
                                samples: Int(metrics.samples), seconds: start.duration(to: clock.now).seconds)
    }

    /// Logits (`count * plan.classes`, row-major) of already normalised images (`count * C*H*W` floats, NCHW),
    /// in eval mode, computed a batch at a time.
    public func logits(for images: [Float]) throws(TrainingError) -> [Float] {
        let sample = graph.inputShape.count
        guard images.count % sample == 0 else {
            throw .dataMismatch("\(images.count) floats are not a whole number of \(graph.inputShape) images")
        }
        let target = try evaluationExecutor()
        let batch = target.plan.options.batchSize
        let classes = target.plan.classes
        let count = images.count / sample
        var result: [Float] = []
        result.reserveCapacity(count * classes)
        var chunk = [Float](repeating: 0, count: batch * sample)
        let labels = [Int32](repeating: -1, count: batch)
        var first = 0
        while first < count {
            let n = min(batch, count - first)
            for i in 0..<(batch * sample) { chunk[i] = i < n * sample ? images[first * sample + i] : 0 }
            chunk.withUnsafeBufferPointer { x in
                labels.withUnsafeBufferPointer { y in target.setBatch(images: x, labels: y) }
            }
            target.evalStep()
            result += target.outputs().prefix(n * classes)
            first += n
        }
        _ = target.takeMetrics()   // all labels were padding: nothing counted, but keep the sums clean
        return result
    }

    /// The executor evaluation runs on, with the current parameters. Training metrics still on the training
    /// executor are carried over so the next training read still sees them.
    func evaluationExecutor() throws(TrainingError) -> any PlanExecutor {
        let evalBatch = config.evalBatchSize ?? config.batchSize
        if evalBatch == config.batchSize {
            carriedMetrics.add(executor.takeMetrics())
            return executor
        }
        let target: any PlanExecutor
        if let existing = evalExecutor {
            target = existing
        } else {
            // No optimizer state: momentum 0 SGD keeps no copies, and this plan never takes a training step.
            let options = PlanOptions(batchSize: evalBatch, optimizer: .sgd(momentum: 0, nesterov: false, weightDecay: 0),
                                      labelSmoothing: config.labelSmoothing)
            let evalPlan = try Self.compile(graph, options, for: backend)
            var evalConfig = config
            evalConfig.batchSize = evalBatch
            try Self.checkMemory(evalPlan, config: evalConfig)
            target = try Self.load(evalPlan, on: backend)
            evalExecutor = target
        }
        target.write(.parameters, executor.read(.parameters))
        if plan.bufferCount > 0 { target.write(.buffers, executor.read(.buffers)) }
        _ = target.takeMetrics()
        return target
    }
}
