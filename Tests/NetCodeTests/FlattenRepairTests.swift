import XCTest
import NetIR
@testable import NetCode

/// A Linear that an image reaches before anything was flattened gets a flatten right before it, in repair mode
/// only; its in_features then follows the flattened size.
final class FlattenRepairTests: XCTestCase {
    let input = TensorShape(channels: 1, height: 28, width: 28)

    func source(fc: String = "nn.Linear(8 * 14 * 14, 10)", forward: String) -> String {
        """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.fc = \(fc)

            def forward(self, x):
        \(forward)

        """
    }

    func testAForgottenFlattenIsInsertedAndTheNetworkIsTheIntendedOne() throws {
        let broken = source(forward: """
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                return self.fc(x)
        """)
        XCTAssertThrowsError(try NetworkSource.parse(broken, file: "n.py", input: input), "strict parsing is unchanged")
        let repaired = try NetworkSource.parse(broken, file: "n.py", input: input, repairInputSizes: true)
        XCTAssertEqual(repaired.flattens.map(\.module), ["fc"])
        XCTAssertEqual(repaired.flattens.first?.shape, [8, 14, 14])
        XCTAssertEqual(repaired.flattens.first?.location?.line, 13, "where forward called the Linear")
        XCTAssert(repaired.repairs.isEmpty, "the declared in_features already fit the flattened image")
        XCTAssert(repaired.repairDescriptions.first?.contains("flatten inserted before fc (it was given a [8, 14, 14] image)") == true,
                  "\(repaired.repairDescriptions)")
        // The reference: the network written with its flatten by hand.
        let intended = source(forward: """
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                return self.fc(torch.flatten(x, 1))
        """)
        let reference = try NetworkSource.parse(intended, file: "i.py", input: input)
        XCTAssertEqual(repaired.graph.structuralHash, reference.graph.structuralHash)
        let emitted = NetworkSource.emit(repaired.graph, className: repaired.className)
        XCTAssertEqual(try NetworkSource.parse(emitted, file: "e.py", input: input).graph.structuralHash, reference.graph.structuralHash)

        // A wrong in_features as well: the flatten, then the size (1568), as written by hand.
        let both = try NetworkSource.parse(source(fc: "nn.Linear(512, 10)", forward: """
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                return self.fc(x)
        """), file: "n.py", input: input, repairInputSizes: true)
        XCTAssertEqual(both.flattens.count, 1)
        XCTAssertEqual(both.repairs.map(\.to), [8 * 14 * 14])
        XCTAssertEqual(both.graph.structuralHash, reference.graph.structuralHash)
    }

    func testNoFlattenOnceSomethingWasFlattened() throws {
        // Flattened (for fc0), then a convolution's image reaches fc: where the image should end is not clear.
        let twice = """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.fc = nn.Linear(8 * 14 * 14, 10)
                self.fc0 = nn.Linear(784, 10)

            def forward(self, x):
                y = self.fc0(torch.flatten(x, 1))
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                return self.fc(x) + y

        """
        XCTAssertThrowsError(try NetworkSource.parse(twice, file: "n.py", input: input, repairInputSizes: true)) {
            XCTAssert("\($0)".contains("Linear expects a flat input [1568], got [8x14x14]"), "\($0)")
        }
        // A Linear over features is left as it is.
        let fine = try NetworkSource.parse(source(forward: """
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                return self.fc(x.view(x.size(0), -1))
        """), file: "n.py", input: input, repairInputSizes: true)
        XCTAssert(fine.flattens.isEmpty)
    }
}
