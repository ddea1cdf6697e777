import XCTest
import NetIR
@testable import NetCode

/// Modules used in `forward` but never defined: defined from their name in repair mode only, and only where
/// the name says one stateless layer.
final class MissingModuleRepairTests: XCTestCase {
    let input = TensorShape(channels: 1, height: 28, width: 28)

    func source(init extra: String = "", forward: String) -> String {
        """
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.fc = nn.Linear(8 * 14 * 14, 10)\(extra)

            def forward(self, x):
        \(forward)

        """
    }

    func testUnambiguousNamesAreDefinedAndTheRepairedNetworkIsTheIntendedOne() throws {
        let broken = source(forward: """
                x = self.relu1(self.conv1(x))
                x = nn.functional.max_pool2d(x, 2)
                x = self.dropout(self.flatten(x))
                return self.fc(x)
        """)
        // Strict parsing is unchanged.
        XCTAssertThrowsError(try NetworkSource.parse(broken, file: "n.py", input: input)) {
            XCTAssert("\($0)".contains("unknown name 'self.relu1'"), "\($0)")
        }
        let repaired = try NetworkSource.parse(broken, file: "n.py", input: input, repairInputSizes: true)
        XCTAssertEqual(repaired.definedModules.map(\.module), ["relu1", "dropout", "flatten"])
        XCTAssertEqual(repaired.definedModules.map(\.constructor), ["nn.ReLU()", "nn.Dropout()", "nn.Flatten()"])
        // The callee is evaluated before its arguments, as in Python: dropout is met before flatten.
        XCTAssertEqual(repaired.definedModules.first?.location?.line, 11, "where forward used it")
        // The reference: the same network written correctly by hand.
        let intended = source(init: "\n        self.relu1 = nn.ReLU()\n        self.flatten = nn.Flatten()\n        self.dropout = nn.Dropout()",
                              forward: """
                x = self.relu1(self.conv1(x))
                x = nn.functional.max_pool2d(x, 2)
                x = self.dropout(self.flatten(x))
                return self.fc(x)
        """)
        let reference = try NetworkSource.parse(intended, file: "i.py", input: input)
        XCTAssertEqual(repaired.graph.structuralHash, reference.graph.structuralHash)
        // The emitted source defines the modules and parses strictly.
        let emitted = NetworkSource.emit(repaired.graph, className: repaired.className)
        XCTAssertEqual(try NetworkSource.parse(emitted, file: "e.py", input: input).graph.structuralHash,
                       reference.graph.structuralHash)
    }

    func testAmbiguousNamesAndDefinedModulesAreLeftAlone() throws {
        // `self.pool`: max or average, which kernel? `self.act`: which activation? Both stay errors.
        for name in ["pool", "act", "norm", "bn"] {
            let broken = source(forward: """
                    x = self.\(name)(self.conv1(x))
                    return self.fc(torch.flatten(nn.functional.max_pool2d(x, 2), 1))
            """)
            XCTAssertThrowsError(try NetworkSource.parse(broken, file: "n.py", input: input, repairInputSizes: true),
                                 "self.\(name)") { XCTAssert("\($0)".contains("unknown name 'self.\(name)'"), "\($0)") }
        }
        XCTAssertNil(MissingModuleRepair.constructor(for: "maxpool"))
        XCTAssertEqual(MissingModuleRepair.constructor(for: "ReLU_2")?.text, "nn.ReLU()")
        XCTAssertEqual(MissingModuleRepair.constructor(for: "avgpool")?.text, "nn.AdaptiveAvgPool2d(1)")
        // A module that is defined is used as written, never replaced.
        let defined = source(init: "\n        self.relu = nn.Tanh()", forward: """
                x = self.relu(self.conv1(x))
                return self.fc(torch.flatten(nn.functional.max_pool2d(x, 2), 1))
        """)
        let parsed = try NetworkSource.parse(defined, file: "d.py", input: input, repairInputSizes: true)
        XCTAssert(parsed.definedModules.isEmpty)
        XCTAssert(parsed.graph.nodes.contains { $0.layer == .activation(.tanh) }, "\(parsed.graph.nodes.map(\.layer))")
    }
}
