import Engine

/// What applying a weights file did.
public struct WeightLoadReport: Sendable, Equatable {
    /// Tensors copied in.
    public var loaded: [String]
    /// Network tensors the file lacked, or had with another shape (non-strict loading only: they keep their values).
    public var kept: [String]
    /// File tensors the network has no use for (non-strict loading only).
    public var ignored: [String]
}

extension Plan {
    /// The model as PyTorch's `state_dict()` names it: every parameter and BatchNorm running statistic as F32,
    /// plus `<bn>.num_batches_tracked` (I64 scalar) per BatchNorm module, so that
    /// `model.load_state_dict(safetensors.torch.load_file(path))` accepts it with `strict=True`.
    public func stateDict(parameters: [Float], buffers: [Float], batchesTracked: Int) -> [SafetensorsTensor] {
        var tensors: [SafetensorsTensor] = []
        for slot in parameterSlots {
            tensors.append(SafetensorsTensor(name: slot.name, shape: slot.dims,
                                             floats: Array(parameters[slot.offset..<(slot.offset + slot.count)])))
        }
        for slot in bufferSlots {
            tensors.append(SafetensorsTensor(name: slot.name, shape: slot.dims,
                                             floats: Array(buffers[slot.offset..<(slot.offset + slot.count)])))
        }
        for module in batchNormModules {
            tensors.append(SafetensorsTensor(name: "\(module).num_batches_tracked", int64: Int64(batchesTracked)))
        }
        return tensors
    }

    /// Copies the tensors of `file` into the parameter and buffer regions. Strict: every network tensor must be
    /// there as F32 with its exact shape and nothing else may be (except `num_batches_tracked`). Non-strict (weight
    /// inheritance): tensors whose name and shape match are loaded, the rest reported; with `wholeModules`, a
    /// module's tensors load only if all of them match (a bias trained for other weights is not inherited
    /// next to freshly initialised weights).
    public func applyStateDict(_ file: SafetensorsFile, path: String, strict: Bool, wholeModules: Bool = false,
                               parameters: inout [Float], buffers: inout [Float]) throws(SafetensorsError) -> WeightLoadReport {
        var report = WeightLoadReport(loaded: [], kept: [], ignored: [])
        var known = Set(batchNormModules.map { "\($0).num_batches_tracked" })
        let targets = parameterSlots.map { ($0, true) } + bufferSlots.map { ($0, false) }
        var incomplete = Set<Substring>()
        if wholeModules && !strict {
            for (slot, _) in targets where file.tensor(named: slot.name)?.shape != slot.dims {
                incomplete.insert(Self.module(of: slot.name))
            }
        }
        for (slot, isParameter) in targets {
            known.insert(slot.name)
            if incomplete.contains(Self.module(of: slot.name)) {
                report.kept.append(slot.name)
                continue
            }
            guard let tensor = file.tensor(named: slot.name) else {
                if strict { throw .missingTensor(path: path, tensor: slot.name) }
                report.kept.append(slot.name)
                continue
            }
            guard tensor.shape == slot.dims else {
                if strict { throw .shapeMismatch(path: path, tensor: slot.name, expected: slot.dims, found: tensor.shape) }
                report.kept.append(slot.name)
                continue
            }
            guard let values = tensor.floats else {
                throw .dtypeMismatch(path: path, tensor: slot.name, expected: "F32", found: tensor.dtype.rawValue)
            }
            if isParameter {
                parameters.replaceSubrange(slot.offset..<(slot.offset + slot.count), with: values)
            } else {
                buffers.replaceSubrange(slot.offset..<(slot.offset + slot.count), with: values)
            }
            report.loaded.append(slot.name)
        }
        for tensor in file.tensors where !known.contains(tensor.name) {
            if strict { throw .unexpectedTensor(path: path, tensor: tensor.name) }
            report.ignored.append(tensor.name)
        }
        return report
    }

    /// `fc1` for `fc1.weight`; `layer1.0.bn1` for `layer1.0.bn1.running_mean`.
    static func module(of tensor: String) -> Substring {
        tensor.lastIndex(of: ".").map { tensor[..<$0] } ?? Substring(tensor)
    }
}

extension Trainer {
    /// Saves the model weights as safetensors with PyTorch's state_dict names (atomically).
    public func saveWeights(to path: String, metadata: [String: String] = [:]) throws(SafetensorsError) {
        let tensors = plan.stateDict(parameters: executor.read(.parameters), buffers: executor.read(.buffers),
                                     batchesTracked: executor.step)
        var meta = metadata
        meta["format"] = "pt"
        try SafetensorsFile(tensors: tensors, metadata: meta).write(to: path)
    }

    /// Loads model weights from a safetensors file (see `Plan.applyStateDict`). Optimizer state and step are
    /// left as they are; use a checkpoint to resume training.
    @discardableResult
    public func loadWeights(from path: String, strict: Bool = true, wholeModules: Bool = false) throws(SafetensorsError) -> WeightLoadReport {
        try loadWeights(SafetensorsFile.read(path: path), path: path, strict: strict, wholeModules: wholeModules)
    }

    @discardableResult
    public func loadWeights(_ file: SafetensorsFile, path: String, strict: Bool = true,
                            wholeModules: Bool = false) throws(SafetensorsError) -> WeightLoadReport {
        var parameters = executor.read(.parameters)
        var buffers = executor.read(.buffers)
        let report = try plan.applyStateDict(file, path: path, strict: strict, wholeModules: wholeModules,
                                             parameters: &parameters, buffers: &buffers)
        executor.write(.parameters, parameters)
        if plan.bufferCount > 0 { executor.write(.buffers, buffers) }
        return report
    }
}
