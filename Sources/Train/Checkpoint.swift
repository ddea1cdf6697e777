import Engine

/// Training state on disk: model weights (PyTorch names), optimizer state and the step, in one safetensors file
/// written atomically, so a run killed at any moment resumes from its last checkpoint.
///
/// Optimizer tensors are named `__optimizer__.<parameter>.<state>` with PyTorch's state names (`momentum_buffer`;
/// Adam's `exp_avg`, `exp_avg_sq`); metadata holds the step and the dropout seed.
public enum Checkpoint {
    public static let formatName = "llmatic-checkpoint"
    public static let version = "1"
    static let optimizerPrefix = "__optimizer__."

    /// PyTorch's names for the optimizer's per-parameter state, one per copy in `Region.optimizer`.
    public static func stateNames(_ optimizer: OptimizerConfig) -> [String] {
        switch optimizer {
        case .sgd(let momentum, _, _): return momentum == 0 ? [] : ["momentum_buffer"]
        case .adam: return ["exp_avg", "exp_avg_sq"]
        }
    }
}

extension Trainer {
    public func saveCheckpoint(to path: String) throws(SafetensorsError) {
        var tensors = plan.stateDict(parameters: executor.read(.parameters), buffers: executor.read(.buffers),
                                     batchesTracked: executor.step)
        let state = executor.read(.optimizer)
        for (copy, stateName) in Checkpoint.stateNames(plan.options.optimizer).enumerated() {
            for slot in plan.parameterSlots {
                let start = copy * plan.parameterCount + slot.offset
                tensors.append(SafetensorsTensor(name: "\(Checkpoint.optimizerPrefix)\(slot.name).\(stateName)",
                                                 shape: slot.dims, floats: Array(state[start..<(start + slot.count)])))
            }
        }
        let metadata = ["format": Checkpoint.formatName, "version": Checkpoint.version, "step": String(executor.step),
                        "dropout_seed": String(executor.seed), "optimizer": String(describing: plan.options.optimizer)]
        try SafetensorsFile(tensors: tensors, metadata: metadata).write(to: path)
    }

    /// Restores weights, optimizer state, step and dropout seed; `train` then continues where the run stopped.
    public func restoreCheckpoint(from path: String) throws(SafetensorsError) {
        let file = try SafetensorsFile.read(path: path)
        guard file.metadata["format"] == Checkpoint.formatName else {
            throw .incompatible(path: path, message: "not an llmatic checkpoint (metadata format is \(file.metadata["format"] ?? "absent"))")
        }
        guard let step = file.metadata["step"].flatMap({ Int($0) }), step >= 0,
              let seed = file.metadata["dropout_seed"].flatMap({ UInt32($0) }) else {
            throw .incompatible(path: path, message: "checkpoint metadata lacks a valid step or dropout_seed")
        }
        let names = Checkpoint.stateNames(plan.options.optimizer)
        let model = SafetensorsFile(tensors: file.tensors.filter { !$0.name.hasPrefix(Checkpoint.optimizerPrefix) },
                                    metadata: file.metadata)
        var state = [Float](repeating: 0, count: plan.optimizerCount)
        for (copy, stateName) in names.enumerated() {
            for slot in plan.parameterSlots {
                let name = "\(Checkpoint.optimizerPrefix)\(slot.name).\(stateName)"
                guard let tensor = file.tensor(named: name) else {
                    throw .incompatible(path: path, message: "optimizer state '\(name)' is missing (saved with another optimizer? it says \(file.metadata["optimizer"] ?? "nothing"))")
                }
                guard tensor.shape == slot.dims else {
                    throw .shapeMismatch(path: path, tensor: name, expected: slot.dims, found: tensor.shape)
                }
                guard let values = tensor.floats else {
                    throw .dtypeMismatch(path: path, tensor: name, expected: "F32", found: tensor.dtype.rawValue)
                }
                let start = copy * plan.parameterCount + slot.offset
                state.replaceSubrange(start..<(start + slot.count), with: values)
            }
        }
        let expected = Set(names.flatMap { n in plan.parameterSlots.map { "\(Checkpoint.optimizerPrefix)\($0.name).\(n)" } })
        if let stray = file.tensors.first(where: { $0.name.hasPrefix(Checkpoint.optimizerPrefix) && !expected.contains($0.name) }) {
            throw .incompatible(path: path, message: "optimizer state '\(stray.name)' does not fit this run's optimizer (\(plan.options.optimizer))")
        }
        try loadWeights(model, path: path, strict: true)
        if plan.optimizerCount > 0 { executor.write(.optimizer, state) }
        executor.step = step
        executor.seed = seed
        _ = executor.takeMetrics()
        carriedMetrics = StepMetrics()
    }
}
