import Foundation

/// The weights the search already had for the final network, shipped instead of the retrain's when the retrain
/// failed or its best validation accuracy stayed below theirs by more than a tie: on the validation split, the
/// final network is at most a tie worse than what the search found. Measured: a rule run's promoted network
/// reached 0.9143 validation in 1,200 steps, and its 22-epoch retrain with crop + flip 0.9073 (test 89.96%): a
/// one-channel bottleneck that augmentation left underfitting.
public struct KeptWeights: Sendable, Codable, Equatable {
    /// Where they come from: `promoted` (the promotion's longer training) or `explore` (the archive elite's).
    public var from: String
    public var validationAccuracy: Double
    public var testAccuracy: Double
    public var testLoss: Double

    /// Whether the search's weights, at `search` validation accuracy, ship instead of a retrain at `retrain`
    /// (nil: the retrain failed): only when they beat it by more than a tie (`PromotionRule.tieMargin`). Why the
    /// margin: the search's accuracy is the best of several promoted networks' and reads high (the winner's
    /// curse). Seen: `scripts/run` seed 6 shipped promoted weights at 0.9225 validation (91.10% test) over a
    /// retrain at 0.9207 (91.71% test), 0.5 standard errors apart on 6,000 images.
    public static func searchWins(search: Double, retrain: Double?, validationImages: Int) -> Bool {
        guard let retrain else { return true }
        return search - PromotionRule.tieMargin(search, validationImages: validationImages) > retrain
    }
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
        guard KeptWeights.searchWins(search: validation, retrain: result.retrain?.validationAccuracy,
                                     validationImages: trainer.splitSizes.validation) else { return }
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
