import Foundation
import CPUBackend
import Data
import NetIR
import Train
@testable import Search

/// A short real search on a small synthetic task, so the final phase has an archive to take its network from.
enum FinalPhaseFixture {
    static let data = "synthetic:1x12x12:4:768:256"
    static let input = TensorShape(channels: 1, height: 12, width: 12)
    static let training = TrainingSettings(epochs: 1, maxSteps: 12, batchSize: 32, validationFraction: 0.2)

    static func searched(_ name: String) async throws -> (SearchEngine, RunDirectory, SearchConfig) {
        var config = SearchConfig(data: data, seed: 3, evaluations: 4, batch: 2, niches: 10,
                                  promptNiches: 10, initialNetworks: 2, training: training, seedNetwork: "smallcnn",
                                  input: input.dims, classes: 4)
        config.limits = SearchLimits(maxParameters: 2_000_000, maxFlops: 50_000_000)
        let dir = TestRun.folder(name)
        let engine = try engine(config, dir, evaluator: try evaluator(training.trainingConfig(seed: 3)), resume: false)
        _ = try await engine.run()
        return (engine, dir, config)
    }

    /// The finished run of `searched`, opened again with an evaluator trained under `trainingConfig`.
    static func reopened(_ config: SearchConfig, _ dir: RunDirectory, trainingConfig: TrainingConfig) throws -> SearchEngine {
        try engine(config, dir, evaluator: try evaluator(trainingConfig), resume: true)
    }

    static func evaluator(_ trainingConfig: TrainingConfig) throws -> TrainerEvaluator {
        TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: try DatasetCatalog.load(data, seed: 3), config: trainingConfig)
    }

    static func engine(_ config: SearchConfig, _ dir: RunDirectory, evaluator: TrainerEvaluator, resume: Bool) throws -> SearchEngine {
        let codec = NetworkCodec.pytorch(input: input)
        return try SearchEngine(config: config, directory: dir,
                                seedSource: codec.emit(try BuiltinNetwork.smallcnn.graph(input: input, classes: 4)),
                                mutator: RuleMutator(codec: codec),
                                checker: CandidateChecker(codec: codec, classes: 4, limits: config.limits),
                                evaluator: evaluator, resume: resume)
    }
}
