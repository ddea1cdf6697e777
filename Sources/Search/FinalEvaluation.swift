import Foundation
import Train

/// What the end of a run measured on the best network (`final.json`, shown in the report).
public struct FinalResults: Codable, Sendable {
    public var candidate: Int
    public var validationAccuracy: Double
    /// Test accuracy with the weights the search trained.
    public var testAccuracy: Double?
    public var testLoss: Double?
    /// Extra epochs trained from those weights (0: none), and what they gave.
    public var epochs: Int
    public var finalValidationAccuracy: Double?
    public var finalTestAccuracy: Double?
    public var finalSeconds: Double?
    public var failure: String?

    public init(candidate: Int, validationAccuracy: Double, epochs: Int = 0) {
        self.candidate = candidate; self.validationAccuracy = validationAccuracy; self.epochs = epochs
    }

    /// The test accuracy the run ends with: after the extra training when there was some.
    public var bestTestAccuracy: Double? { finalTestAccuracy ?? testAccuracy }
}

extension SearchEngine {
    /// Tests the archive's best network on the test set and, with `epochs > 0`, trains it that much further
    /// (weights to `refined.safetensors`) and tests again. Writes final.json; nil when the archive is empty.
    /// `progress` sees the extra training's reports (on the worker's thread).
    public func finalize(epochs: Int, progress: (@Sendable (TrainingProgress) -> Void)? = nil) async -> FinalResults? {
        guard let best = state.networks.best?.payload,
              let source = directory.read(directory.candidateFile(best.candidate, .source)),
              case .success(let checked) = checker.check(source, file: "best.py") else { return nil }
        var final = FinalResults(candidate: best.candidate, validationAccuracy: best.accuracy, epochs: max(epochs, 0))
        let weights = directory.candidateFile(best.candidate, .weights)
        let refined = directory.candidateFile(best.candidate, .refined)
        let evaluator = self.evaluator
        let outcome = await pool.onDevice(catching: { device throws(CandidateFailure) -> (TestMetrics, (CandidateMetrics, TestMetrics)?) in
            let test = try evaluator.test(checked.graph, weightsPath: weights, device: device)
            guard epochs > 0 else { return (test, nil) }
            let more = try evaluator.refine(checked.graph, weightsPath: weights, epochs: epochs, savingTo: refined, device: device,
                                            progress: progress)
            return (test, more)
        })
        switch outcome {
        case .success(let (test, more)):
            final.testAccuracy = test.accuracy
            final.testLoss = test.loss
            if let (validation, refinedTest) = more {
                final.finalValidationAccuracy = validation.validationAccuracy
                final.finalTestAccuracy = refinedTest.accuracy
                final.finalSeconds = validation.seconds
            }
        case .failure(let f):
            final.failure = f.description
        }
        do { try directory.writeJSON(final, to: directory.finalPath) } catch { warn("\(error)") }
        return final
    }
}
