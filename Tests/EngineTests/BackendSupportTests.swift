import XCTest
import NetIR
import Engine
import ReferenceBackend

/// A backend that refuses an op makes the compiler (and `load`) fail with a typed error naming op, layer and device.
final class BackendSupportTests: XCTestCase {
    struct NoDropout: Backend {
        var name: String { "no-dropout test device" }
        func supports(_ op: Op) -> Bool {
            if case .dropout = op { return false }
            return ReferenceBackend().supports(op)
        }
        func load(_ plan: Plan) throws -> any PlanExecutor {
            try checkSupport(plan)
            return try ReferenceBackend().load(plan)
        }
    }

    func testUnsupportedOpNamesOpLayerAndDevice() throws {
        let graph = try classifier(TensorShape(features: 4)) { b, x in
            try b.dropout("drop", try b.linear("fc", x, out: 5), p: 0.25)
        }
        XCTAssertNoThrow(try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 2), for: ReferenceBackend()))
        XCTAssertThrowsError(try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 2), for: NoDropout())) { error in
            guard case PlanError.unsupported(let op, let node, let device)? = error as? PlanError else {
                return XCTFail("expected PlanError.unsupported, got \(error)")
            }
            XCTAssertEqual(op, "dropout")
            XCTAssertEqual(node, "drop")
            XCTAssertEqual(device, "no-dropout test device")
        }
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 2))
        XCTAssertThrowsError(try NoDropout().load(plan))
    }
}
