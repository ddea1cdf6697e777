import XCTest
import CPUBackend
import Data
import NetIR
@testable import Search

/// The probe behind the FLOPs axis's top: a few training steps of a small CNN give a rate, and with it the
/// FLOPs a child may have within its time budget; without a budget there is no probe and no bound.
final class DescriptorBoundsProbeTests: XCTestCase {
    func testProbeGivesARateAndTheBudgetsFlops() throws {
        let data = try DatasetCatalog.load("synthetic:1x12x12:4:512:64", seed: 3)
        let training = TrainingSettings(epochs: 1, maxSteps: 8, batchSize: 16, validationFraction: 0.2)
        let evaluator = TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: data,
                                         config: training.trainingConfig(seed: 3), timeBudget: 60)
        let rate = try XCTUnwrap(evaluator.probedRate())
        XCTAssertGreaterThan(rate, 0)
        let flops = try XCTUnwrap(evaluator.probedFlopsWithinBudget())
        XCTAssertGreaterThan(flops, 0)
        XCTAssertTrue(flops.isFinite)
        // Nothing trained yet, so the probe left the budget's own prediction untouched (no throughput recorded).
        XCTAssertNil(evaluator.predictedSeconds(try BuiltinNetwork.smallcnn.graph(input: TensorShape(channels: 1, height: 12, width: 12),
                                                                                   classes: 4).cost()))
        let unbounded = TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: data, config: training.trainingConfig(seed: 3))
        XCTAssertNil(unbounded.probedFlopsWithinBudget(), "no budget: no probe, no bound")
    }
}
