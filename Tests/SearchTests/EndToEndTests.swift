import XCTest
import CPUBackend
import Data
import NetIR
import Train
@testable import Search

/// A real search: rule mutator, NetCode, Train's Trainer on the CPU backend, on a small synthetic task.
final class EndToEndTests: XCTestCase {
    func testSearchTrainsTestsAndExports() async throws {
        let data = try DatasetCatalog.load("synthetic:1x12x12:4:768:256", seed: 3)
        let input = TensorShape(channels: 1, height: 12, width: 12)
        let codec = NetworkCodec.pytorch(input: input)
        let training = TrainingSettings(epochs: 2, maxSteps: 24, batchSize: 32, validationFraction: 0.2)
        // One thread: the search's correctness does not depend on the pool, and it keeps the test steady on 2 cores.
        let evaluator = TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: data,
                                         config: training.trainingConfig(seed: 3), timeBudget: 60)
        var config = SearchConfig(data: "synthetic:1x12x12:4:768:256", seed: 3, evaluations: 14, batch: 3, niches: 20,
                                  promptNiches: 20, initialNetworks: 3, training: training, seedNetwork: "smallcnn",
                                  input: input.dims, classes: 4)
        config.limits = SearchLimits(maxParameters: 400_000, maxFlops: 20_000_000)
        let dir = TestRun.folder("e2e")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let engine = try SearchEngine(config: config, directory: dir,
                                      seedSource: codec.emit(try BuiltinNetwork.smallcnn.graph(input: input, classes: 4)),
                                      mutator: RuleMutator(codec: codec),
                                      checker: CandidateChecker(codec: codec, classes: 4, limits: config.limits),
                                      evaluator: evaluator, resume: false)
        let summary = try await engine.run()
        XCTAssertEqual(summary.evaluations, 14)
        let best = try XCTUnwrap(summary.best_accuracy)
        XCTAssertGreaterThan(best, 0.5, "chance is 0.25")
        let records = TestRun.candidates(dir)
        XCTAssert(records.contains { ($0.metrics?.inheritedTensors ?? 0) > 0 }, "children inherit their parents' weights")
        XCTAssert(records.allSatisfy { $0.failure == nil || $0.failure?.kind != "backend" }, "\(records.compactMap(\.failure))")

        let finalized = await engine.finalize(epochs: 1)
        let final = try XCTUnwrap(finalized)
        XCTAssertNil(final.failure)
        let testBefore = try XCTUnwrap(final.testAccuracy)
        XCTAssertGreaterThan(testBefore, 0.4)
        let test = try XCTUnwrap(final.finalTestAccuracy)
        XCTAssertGreaterThan(test, 0.4)
        XCTAssert(dir.exists(dir.finalPath))
        XCTAssert(dir.exists(dir.candidateFile(final.candidate, .refined)))

        // The exported source and weights load strictly and give the same test accuracy.
        let exported = try Export.best(dir, top: 2, to: dir.path("export"))
        XCTAssertEqual(exported.count, 2)
        let first = try XCTUnwrap(exported.first)
        let graph = try codec.parse(try XCTUnwrap(dir.read(first.source)), first.source)
        let trainer = try Trainer(graph: graph, config: training.trainingConfig(seed: 0), backend: CPUBackend(threads: 1))
        try trainer.loadWeights(from: try XCTUnwrap(first.weights), strict: true)
        let again = try trainer.evaluate(data.test, normalization: evaluator.normalization)
        XCTAssertEqual(again.accuracy, test, accuracy: 1e-9, "export carries the refined weights")
        try Report.write(dir)
        XCTAssert(dir.read(dir.reportPath)?.contains("best validation accuracy") ?? false)
    }

    /// The time budget's prediction: none before a device has trained anything; after one training, the network
    /// itself fits its budget and one with enough FLOPs to take twice the budget does not; without a budget
    /// everything fits.
    func testBudgetPredictionFromMeasuredThroughput() throws {
        let data = try DatasetCatalog.load("synthetic:1x12x12:4:256:64", seed: 3)
        let input = TensorShape(channels: 1, height: 12, width: 12)
        let training = TrainingSettings(epochs: 1, maxSteps: 8, batchSize: 32, validationFraction: 0.2)
        let evaluator = TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: data,
                                         config: training.trainingConfig(seed: 3), timeBudget: 3600)
        let graph = try BuiltinNetwork.smallcnn.graph(input: input, classes: 4)
        var cost = try graph.cost()
        XCTAssertNil(evaluator.predictedSeconds(cost))
        XCTAssertTrue(evaluator.fitsBudget(cost), "no prediction yet: nothing is refused")
        _ = try evaluator.evaluate(EvaluationJob(candidate: 0, graph: graph), device: 0)
        let predicted = try XCTUnwrap(evaluator.predictedSeconds(cost))
        XCTAssertGreaterThan(predicted, 0)
        XCTAssertTrue(evaluator.fitsBudget(cost))
        cost.flops *= Int(3600 * 1.25 / predicted) * 2 + 1
        XCTAssertFalse(evaluator.fitsBudget(cost), "predicted \(evaluator.predictedSeconds(cost) ?? 0) s against a 3600-s budget")
        let unbounded = TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: data, config: training.trainingConfig(seed: 3))
        XCTAssertTrue(unbounded.fitsBudget(cost))
    }
    /// The closing generations' cap reads the median of the last eight children's throughputs, not the
    /// fastest: one fast large child among slow small ones does not raise it, and older rates drop out.
    func testTimeLeftCapUsesTheMedianRecentThroughput() throws {
        let data = try DatasetCatalog.load("synthetic:1x12x12:4:256:64", seed: 3)
        let training = TrainingSettings(epochs: 1, maxSteps: 8, batchSize: 32, validationFraction: 0.2)
        let evaluator = TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: data, config: training.trainingConfig(seed: 3))
        XCTAssertNil(evaluator.flopsTraining(within: 10))
        for rate in [1e9, 2e9, 3e9, 24e9] { evaluator.recordThroughput(rate, device: 0) }
        XCTAssertEqual(evaluator.medianRecentRate(), 2.5e9)
        XCTAssertEqual(evaluator.rate(), 24e9, "the budget's bound still reads the last rate")
        let flops = try XCTUnwrap(evaluator.flopsTraining(within: 10))
        XCTAssertEqual(flops, 10 * 2.5e9 / evaluator.imagesPerChild, accuracy: 1)
        for _ in 0..<TrainerEvaluator.recentRateCount { evaluator.recordThroughput(5e9, device: 0) }
        XCTAssertEqual(evaluator.medianRecentRate(), 5e9, "rates older than the last eight drop out")
    }
}
