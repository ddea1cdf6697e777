import Foundation

/// The weights the search already had for the final network, shipped instead of the retrain's when the retrain
/// failed or its best validation accuracy stayed below theirs: the final network is never worse, on the
/// validation split, than what the search found. Measured: a rule run's promoted network reached 0.9143
/// validation in 1,200 steps, and its 22-epoch retrain with crop + flip 0.9073 (test 89.96%): a one-channel
/// bottleneck that augmentation left underfitting.
public struct KeptWeights: Sendable, Codable, Equatable {
    /// Where they come from: `promoted` (the promotion's longer training) or `explore` (the archive elite's).
    public var from: String
    public var validationAccuracy: Double
    public var testAccuracy: Double
    public var testLoss: Double
}

extension FinalNetworkResult {
    /// Test accuracy of what ships in final.safetensors.
    public var testAccuracy: Double? { kept?.testAccuracy ?? retrain?.testAccuracy }
}

extension SearchEngine {
    static let retrainedSourceName = "final_retrained.py"
    static let retrainedWeightsName = "final_retrained.safetensors"

    /// Ships the search's own weights of `found` (its promotion's, else its explore training's) when they
    /// validate better than the retrain, or the retrain failed. The retrain's files, if any, stay beside them as
    /// final_retrained.py and final_retrained.safetensors.
    func keepSearchWeightsIfBetter(_ result: inout FinalNetworkResult, found: CheckedCandidate,
                                   promotion: PromotionResult?, trainer: TrainerEvaluator) async {
        let from = promotion == nil ? "explore" : "promoted"
        let weights = directory.candidateFile(result.candidate, promotion == nil ? .weights : .refined)
        guard let validation = promotion?.promotedAccuracy ?? meta(result.candidate)?.metrics?.validationAccuracy,
              validation.isFinite, directory.exists(weights) else { return }
        if let r = result.retrain, r.validationAccuracy >= validation { return }
        let graph = found.graph
        let test = await pool.onDevice(catching: { device throws(CandidateFailure) in
            try trainer.test(graph, weightsPath: weights, device: device)
        })
        guard case .success(let t) = test,
              let source = directory.read(directory.candidateFile(result.candidate, .source)) else { return }
        let fm = FileManager.default
        let sourcePath = directory.path(Self.finalSourceName), weightsPath = directory.path(Self.finalWeightsName)
        do {
            if result.retrain != nil {
                for (file, kept) in [(sourcePath, Self.retrainedSourceName), (weightsPath, Self.retrainedWeightsName)]
                where fm.fileExists(atPath: file) {
                    let to = directory.path(kept)
                    try? fm.removeItem(atPath: to)
                    try fm.moveItem(atPath: file, toPath: to)
                }
            }
            try directory.writeText(source, to: sourcePath)
            try? fm.removeItem(atPath: weightsPath)
            try fm.copyItem(atPath: weights, toPath: weightsPath)
        } catch {
            warn("could not ship the search's weights of #\(result.candidate): \(error)")
            return
        }
        result.weights = weightsPath
        result.kept = KeptWeights(from: from, validationAccuracy: validation, testAccuracy: t.accuracy, testLoss: t.loss)
    }
}
