import XCTest
import NetIR
@testable import NetCode

/// `NetworkSource.diagnose`: independent errors of one file together, each located and typed; consequences
/// of an error are not reported as more errors.
final class DiagnosticsTests: XCTestCase {
    let input = TensorShape([1, 28, 28])

    func testIndependentErrorsAreReportedTogether() {
        let source = network(init: ["self.conv = nn.Conv2d(1, 8, 3, padding=1)", "self.rnn = nn.LSTM(8, 8)",
                                    "self.norm = nn.BatchNorm2d(8, track_running_stats=False)", "self.fc = nn.Linear(8, 10)"],
                             forward: ["x = self.conv(x)", "y = self.rnn(x)", "y = y + 1", "if x:", "    x = F.relu(x)",
                                       "x = F.adaptive_avg_pool2d(x, 1).flatten(1)", "return self.fc(x)"])
        let errors = NetworkSource.diagnose(source, file: "net.py", input: input)
        XCTAssertEqual(errors.map(\.kind), [.unknownModule, .unsupportedOption, .unsupportedConstruct])
        XCTAssertEqual(errors.map(\.location.line), [9, 10, 17])
        XCTAssertEqual(errors.map(\.location.column), [20, 59, 12])
        XCTAssertNotNil(errors[0].hint)
        XCTAssertEqual(errors[0].layer, "rnn")
        XCTAssertEqual(errors[1].layer, "nn.BatchNorm2d")
        // parse stops at the first of them.
        XCTAssertThrowsError(try NetworkSource.parse(source, file: "net.py", input: input)) {
            XCTAssertEqual($0 as? SourceError, errors[0])
        }
    }

    func testAValidNetworkHasNoDiagnostics() {
        let source = network(init: ["self.fc = nn.Linear(784, 10)"], forward: ["return self.fc(torch.flatten(x, 1))"])
        XCTAssertEqual(NetworkSource.diagnose(source, file: "net.py", input: input), [])
    }

    func testAtMostTheLimitIsReported() {
        let lines = (0..<15).map { "self.r\($0) = nn.GRU(4, 4)" }
        let source = network(init: lines, forward: ["return x"])
        XCTAssertEqual(NetworkSource.diagnose(source, file: "net.py", input: input).count, 10)
        XCTAssertEqual(NetworkSource.diagnose(source, file: "net.py", input: input, limit: 3).map(\.location.line), [8, 9, 10])
    }

    func testSyntaxErrorsAndShapeErrorsAreTyped() {
        let syntax = NetworkSource.diagnose("class Net(nn.Module:\n    pass\n", file: "net.py", input: input)
        XCTAssertEqual(syntax.map(\.kind), [.syntax])
        let shape = network(init: ["self.fc = nn.Linear(100, 10)"], forward: ["return self.fc(torch.flatten(x, 1))"])
        let errors = NetworkSource.diagnose(shape, file: "net.py", input: input)
        XCTAssertEqual(errors.map(\.kind), [.shape])
        XCTAssertEqual(errors.first?.layer, "fc")
        let noForward = "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        XCTAssertEqual(NetworkSource.diagnose(noForward, file: "net.py", input: input).map(\.kind), [.missingForward])
    }
}
