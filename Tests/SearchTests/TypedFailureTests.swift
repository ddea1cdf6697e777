import Foundation
import XCTest
import Engine
import NetCode
import NetIR
@testable import Search
@testable import Train

/// Failures reach the search by their type, never by their wording: source errors by `SourceError.Kind`,
/// training errors by `TrainingError` case and backend failures by `BackendFailure` case.
final class TypedFailureTests: XCTestCase {
    let checker = CandidateChecker(codec: .pytorch(input: TestRun.fashion), classes: 10, limits: SearchLimits())
    let header = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"

    func net(_ initLine: String, _ forward: String) -> String {
        header + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        \(initLine)\n\n"
            + "    def forward(self, x):\n        \(forward)\n"
    }

    func failure(_ source: String) -> CandidateFailure? {
        if case .failure(let f) = checker.check(source, file: "c.py") { return f }
        return nil
    }

    func testSourceErrorsAreClassifiedByKind() {
        // A message that says "shape" but is a parse problem stays a parse failure, with its source kind.
        let unknown = failure(net("self.shape_net = nn.LSTM(4, 4)", "return x"))
        XCTAssertEqual(unknown?.kind, "parse")
        XCTAssertEqual(unknown?.sourceKind, .unknownModule)
        let shape = failure(net("self.fc = nn.Linear(100, 10)", "return self.fc(torch.flatten(x, 1))"))
        XCTAssertEqual(shape?.kind, "shape")
        XCTAssertNil(shape?.sourceKind)
        let syntax = failure("class Net(nn.Module:\n")
        XCTAssertEqual(syntax?.sourceKind, .syntax)
    }

    func testSourceKindSurvivesTheRecord() throws {
        let f = CandidateFailure.parse("net.py:3:1: x", source: .unsupportedConstruct)
        let decoded = try JSONDecoder().decode(CandidateFailure.self, from: try JSONEncoder().encode(f))
        XCTAssertEqual(decoded, f)
        let old = try JSONDecoder().decode(CandidateFailure.self, from: Data(#"{"kind":"parse","message":"m"}"#.utf8))
        XCTAssertEqual(old, .parse("m"))
    }

    func testTrainingErrorsMapByCase() {
        XCTAssertEqual(TrainerEvaluator.failure(.outOfMemory("training at batch size 4096 needs 9 GB")).kind, "out-of-memory")
        XCTAssertEqual(TrainerEvaluator.failure(.backend(.outOfMemory(device: "opencl", detail: "x"))).kind, "out-of-memory")
        // Wording that mentions memory or shapes no longer decides anything.
        XCTAssertEqual(TrainerEvaluator.failure(.backend(.failed(device: "cpu", detail: "shape memory"))).kind, "backend")
        XCTAssertEqual(TrainerEvaluator.failure(.plan("memory shape")).kind, "backend")
        XCTAssertEqual(TrainerEvaluator.failure(.network(NetworkError(layer: "fc", message: "expects 100 features"))).kind, "shape")
        XCTAssertEqual(TrainerEvaluator.failure(.diverged(step: 3, loss: .nan)).kind, "divergence")
    }
}
