import XCTest
import NetIR
@testable import NetCode

/// The repairs for where a model put or left a layer: an image layer called after the flatten (applied before
/// it), a residual skip of another shape (a 1x1 projection), and a deleted layer whose call was left in
/// `forward` (dropped when the parent had it). Each repaired network must equal the one written by hand, and none
/// applies to a strict parse.
final class LayoutRepairTests: XCTestCase {
    let input = TensorShape(channels: 1, height: 28, width: 28)

    func net(_ modules: String, _ forward: String) -> String {
        """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
        \(modules)

            def forward(self, x):
        \(forward)

        """
    }

    func assertSameNetwork(_ repaired: ParsedNetwork, _ intended: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try NetworkSource.parse(intended, file: "i.py", input: input)
        XCTAssertEqual(repaired.graph.structuralHash, reference.graph.structuralHash,
                       "\(repaired.graph.nodes.map(\.name)) vs \(reference.graph.nodes.map(\.name))", file: file, line: line)
        let emitted = NetworkSource.emit(repaired.graph, className: repaired.className)
        XCTAssertEqual(try NetworkSource.parse(emitted, file: "e.py", input: input).graph.structuralHash,
                       reference.graph.structuralHash, "the emitted source parses strictly to the same network", file: file, line: line)
    }

    /// A convolution added after the flatten, even after the first Linear (as small models write "add a layer"):
    /// it goes on the image before the flatten, and both Linears get the sizes that follow.
    func testAnImageLayerAfterTheFlattenIsAppliedBeforeIt() throws {
        let modules = """
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.conv_new = nn.Conv2d(8, 16, 3, padding=1)
                self.fc1 = nn.Linear(8 * 14 * 14, 64)
                self.fc2 = nn.Linear(64, 10)
        """
        let broken = net(modules, """
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                x = x.view(x.size(0), -1)
                x = F.relu(self.fc1(x))
                x = F.relu(self.conv_new(x))
                return self.fc2(x)
        """)
        XCTAssertThrowsError(try NetworkSource.parse(broken, file: "n.py", input: input, repairInputSizes: true),
                             "only parseRepairing moves layers")
        let repaired = try NetworkSource.parseRepairing(broken, file: "n.py", input: input)
        XCTAssertEqual(repaired.moves.map(\.module), ["conv_new"])
        XCTAssertEqual(repaired.moves.first?.location?.line, 17, "where forward called it")
        XCTAssertEqual(repaired.moves.first?.flattenedAt.line, 15)
        XCTAssertEqual(repaired.repairs.map(\.module), ["fc1"], "fc1 takes the 16-channel image")
        try assertSameNetwork(repaired, net(modules.replacingOccurrences(of: "8 * 14 * 14", with: "16 * 14 * 14"), """
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                x = self.conv_new(x)
                x = x.view(x.size(0), -1)
                x = F.relu(self.fc1(x))
                x = F.relu(x)
                return self.fc2(x)
        """))
        XCTAssert(repaired.repairDescriptions.first?.contains("conv_new applied before the flatten at line 15") == true,
                  "\(repaired.repairDescriptions)")
    }

    /// Two layers after the flatten (a conv and a BatchNorm2d) both move, in their order; a layer that does not
    /// fit the flattened image (a 5x5 kernel on a 2x2 image) is not moved and the first error stands.
    func testSeveralMisplacedLayersMoveAndAnUnfittingOneDoesNot() throws {
        let modules = """
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
                self.bn2 = nn.BatchNorm2d(8)
                self.fc = nn.Linear(8 * 7 * 7, 10)
        """
        let broken = net(modules, """
                x = F.max_pool2d(F.relu(self.conv1(x)), 4)
                x = torch.flatten(x, 1)
                x = self.bn2(self.conv2(x))
                return self.fc(x)
        """)
        let repaired = try NetworkSource.parseRepairing(broken, file: "n.py", input: input)
        XCTAssertEqual(repaired.moves.map(\.module), ["conv2", "bn2"])
        try assertSameNetwork(repaired, net(modules, """
                x = F.max_pool2d(F.relu(self.conv1(x)), 4)
                x = self.bn2(self.conv2(x))
                x = torch.flatten(x, 1)
                return self.fc(x)
        """))

        let unfitting = net("""
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.conv2 = nn.Conv2d(8, 8, 5)
                self.fc = nn.Linear(8 * 2 * 2, 10)
        """, """
                x = F.max_pool2d(F.relu(self.conv1(x)), 14)
                x = torch.flatten(x, 1)
                return self.fc(self.conv2(x))
        """)
        XCTAssertThrowsError(try NetworkSource.parseRepairing(unfitting, file: "u.py", input: input)) {
            XCTAssertEqual(($0 as? SourceError)?.location.line, 15, "the first parse's error: \($0)")
        }
    }

    /// `out + identity` after a layer that changed channels and size: the skip gets a 1x1 stride-2 projection
    /// without bias, as ResNet's; the same add with equal shapes is untouched.
    func testAResidualSkipOfAnotherShapeGetsAProjection() throws {
        let modules = """
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
                self.fc = nn.Linear(16 * 14 * 14, 10)
        """
        let broken = net(modules, """
                identity = F.relu(self.conv1(x))
                out = F.relu(self.conv2(identity))
                out = out + identity
                return self.fc(torch.flatten(out, 1))
        """)
        XCTAssertThrowsError(try NetworkSource.parse(broken, file: "n.py", input: input), "strict parsing is unchanged")
        let repaired = try NetworkSource.parseRepairing(broken, file: "n.py", input: input)
        XCTAssertEqual(repaired.shortcuts.map(\.module), ["shortcut1"])
        XCTAssertEqual(repaired.shortcuts.first?.from, [8, 28, 28])
        XCTAssertEqual(repaired.shortcuts.first?.to, [16, 14, 14])
        try assertSameNetwork(repaired, net(modules + "\n        self.shortcut1 = nn.Conv2d(8, 16, 1, stride=2, bias=False)", """
                identity = F.relu(self.conv1(x))
                out = F.relu(self.conv2(identity))
                out = out + self.shortcut1(identity)
                return self.fc(torch.flatten(out, 1))
        """))
        // A skip smaller than the main path cannot be projected by a strided 1x1 convolution.
        let upward = net("""
                self.conv1 = nn.Conv2d(1, 8, 3, stride=2, padding=1)
                self.fc = nn.Linear(8 * 16 * 16, 10)
        """, """
                y = F.relu(self.conv1(x))
                z = F.pad(y, (1, 1, 1, 1))
                return self.fc(torch.flatten(y + z, 1))
        """)
        XCTAssertThrowsError(try NetworkSource.parseRepairing(upward, file: "u.py", input: input))
        XCTAssertEqual(ShortcutRepair.stride(from: TensorShape(channels: 8, height: 28, width: 28),
                                             to: TensorShape(channels: 8, height: 7, width: 7)), 4)
        XCTAssertNil(ShortcutRepair.stride(from: TensorShape(channels: 8, height: 28, width: 28),
                                           to: TensorShape(channels: 8, height: 12, width: 12)), "no stride takes 28 to 12")
    }

    /// "Delete a layer": conv2 removed from `__init__`, its call left in `forward`. Dropped only when the parent
    /// had conv2; the next layers take the sizes that follow. An unknown name the parent never had stays an error.
    func testADeletedLayersLeftoverCallIsDroppedOnlyWhenTheParentHadIt() throws {
        let modules = """
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
                self.fc = nn.Linear(16 * 14 * 14, 10)
        """
        let broken = net(modules, """
                x = F.relu(self.conv1(x))
                x = F.relu(self.conv2(x))
                x = F.relu(self.conv3(x))
                return self.fc(torch.flatten(F.max_pool2d(x, 2), 1))
        """)
        XCTAssertThrowsError(try NetworkSource.parseRepairing(broken, file: "n.py", input: input)) {
            XCTAssert("\($0)".contains("unknown name 'self.conv2'"), "\($0)")
        }
        let repaired = try NetworkSource.parseRepairing(broken, file: "n.py", input: input, removedModules: ["conv1", "conv2", "conv3", "fc"])
        XCTAssertEqual(repaired.definedModules.map(\.module), ["conv2"])
        XCTAssertEqual(repaired.definedModules.first?.removed, true)
        XCTAssert(repaired.repairDescriptions.contains { $0.contains("call of self.conv2 dropped") }, "\(repaired.repairDescriptions)")
        XCTAssertEqual(repaired.repairs.map(\.module), ["conv3"], "conv3 takes conv1's 8 channels")
        try assertSameNetwork(repaired, net("""
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.conv3 = nn.Conv2d(8, 16, 3, padding=1)
                self.fc = nn.Linear(16 * 14 * 14, 10)
        """, """
                x = F.relu(self.conv1(x))
                x = F.relu(x)
                x = F.relu(self.conv3(x))
                return self.fc(torch.flatten(F.max_pool2d(x, 2), 1))
        """))
    }
}
