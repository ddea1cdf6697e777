import XCTest
import CPUBackend
import Data
import Engine
import NetIR
@testable import Search

/// A model run's final phase swaps the trainers' backends for ones with every core: what trains after the swap
/// must run on the new backends, and what trained before is untouched.
final class BackendSwapTests: XCTestCase {
    /// Refuses every plan, so a training that reaches it shows which backend it was given.
    struct RefusingBackend: Backend {
        var name: String { "refusing test backend" }
        func load(_ plan: Plan) throws -> any PlanExecutor { throw PlanError.invalidOptions("refused by the swap test") }
        func supports(_ op: Op) -> Bool { true }
    }

    func testTrainingsAfterReplaceBackendsRunOnTheNewBackends() throws {
        let data = try DatasetCatalog.load(FinalPhaseFixture.data, seed: 3)
        let evaluator = TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: data,
                                         config: FinalPhaseFixture.training.trainingConfig(seed: 3))
        let graph = try BuiltinNetwork.smallcnn.graph(input: FinalPhaseFixture.input, classes: 4)
        XCTAssertNoThrow(try evaluator.evaluate(EvaluationJob(candidate: 1, graph: graph), device: 0))

        evaluator.replaceBackends([RefusingBackend()])
        XCTAssertEqual(evaluator.deviceNames, ["refusing test backend"])
        XCTAssertThrowsError(try evaluator.evaluate(EvaluationJob(candidate: 2, graph: graph), device: 0)) { error in
            XCTAssertTrue("\(error)".contains("refused by the swap test"), "\(error)")
        }

        evaluator.replaceBackends([CPUBackend(threads: 2)])
        XCTAssertEqual(evaluator.deviceNames, [CPUBackend(threads: 2).name])
        XCTAssertNoThrow(try evaluator.evaluate(EvaluationJob(candidate: 3, graph: graph), device: 0))
    }
}
