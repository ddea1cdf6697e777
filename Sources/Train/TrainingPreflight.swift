// Checks made before a training run allocates anything large: that the batch fits the training set, and that
// the plan for that batch fits in memory. Both used to be found out only after gigabytes were taken.
import Data
import Engine

extension TrainingConfig {
    /// Images the run trains on: the training set less the validation share `Dataset.split` holds out.
    public func trainingImages(of data: DatasetPair) -> Int {
        let held = Int((Double(data.train.count) * validationFraction).rounded())
        return data.train.count - held
    }

    /// Refuses a batch larger than the training images when the run takes any training step (whole batches
    /// only: an epoch would have none), before a plan for that batch is compiled.
    public func checkBatchFits(_ data: DatasetPair) throws(TrainingError) {
        guard epochs > 0, maxSteps != 0 else { return }
        let images = trainingImages(of: data)
        guard batchSize <= images else { throw .datasetTooSmall(images: images, batchSize: batchSize) }
    }
}

extension Trainer {
    /// Bytes a loaded plan takes: every region of the plan (arena, parameters, gradients, optimizer state,
    /// input batch) plus the host loader's ring of `prefetch` + 1 float batches and one more being converted.
    /// Backend workspaces come on top; this is the part that grows with the batch.
    static func memoryEstimate(_ plan: Plan, prefetch: Int) -> Int? {
        MemoryBudget.bytes([[plan.totalBytes], [prefetch + 2, plan.inputCount, 4], [prefetch + 2, plan.labelCount, 4]])
    }

    /// Throws `outOfMemory` when the plan would
    /// not fit in what `MemoryBudget` allows.
    static func checkMemory(_ plan: Plan, config: TrainingConfig) throws(TrainingError) {
        let estimate = memoryEstimate(plan, prefetch: config.prefetch)
        if let refusal = MemoryBudget.refusal(estimate, for: "training at batch size \(config.batchSize)") {
            throw .outOfMemory(refusal + "; lower the batch size")
        }
    }
}
