import XCTest
import NetIR
@testable import NetCode

/// GroupNorm, InstanceNorm2d, LayerNorm and PReLU in the spellings code models write, the options we refuse, and the
/// emitter's round trip (parse(emit(g)) has the same layers and parameter names).
final class NormalizationSyntaxTests: XCTestCase {
    /// A conv stem (8 channels on 1x28x28), the normalisation, a head: the last non-head layer's IR.
    func parsedNorm(_ module: String?, call: String = "self.norm(h)", file: StaticString = #filePath, line: UInt = #line) throws -> Layer? {
        let source = network(init: ["self.conv = nn.Conv2d(1, 8, 3, stride=2, padding=1)"] + (module.map { ["self.norm = \($0)"] } ?? []),
                             forward: ["h = self.conv(x)", "h = \(call)", "return torch.flatten(h, 1)"])
        let graph = try parseNet(source, file: file, line: line).graph
        return graph.nodes.dropLast().last?.layer
    }

    func testSpellings() throws {
        XCTAssertEqual(try parsedNorm("nn.GroupNorm(2, 8)"), .groupNorm(GroupNormAttributes(groups: 2, channels: 8)))
        XCTAssertEqual(try parsedNorm("nn.GroupNorm(num_groups=4, num_channels=8, eps=1e-3, affine=False)"),
                       .groupNorm(GroupNormAttributes(groups: 4, channels: 8, eps: 1e-3, affine: false)))
        XCTAssertEqual(try parsedNorm("nn.InstanceNorm2d(8)"), .groupNorm(GroupNormAttributes(groups: 8, channels: 8, affine: false)))
        XCTAssertEqual(try parsedNorm("nn.InstanceNorm2d(8, affine=True)"), .groupNorm(GroupNormAttributes(groups: 8, channels: 8)))
        XCTAssertEqual(try parsedNorm("nn.LayerNorm([8, 14, 14])"), .layerNorm(LayerNormAttributes(shape: [8, 14, 14])))
        XCTAssertEqual(try parsedNorm("nn.LayerNorm(14, eps=1e-6)"), .layerNorm(LayerNormAttributes(shape: [14], eps: 1e-6)))
        XCTAssertEqual(try parsedNorm("nn.LayerNorm((14, 14), elementwise_affine=False)"),
                       .layerNorm(LayerNormAttributes(shape: [14, 14], affine: false)))
        XCTAssertEqual(try parsedNorm("nn.LayerNorm(14, bias=False)"), .layerNorm(LayerNormAttributes(shape: [14], bias: false)))
        XCTAssertEqual(try parsedNorm(nil, call: "F.layer_norm(h, h.shape[1:])"), .layerNorm(LayerNormAttributes(shape: [8, 14, 14], affine: false)))
        XCTAssertEqual(try parsedNorm(nil, call: "F.layer_norm(h, (14,), eps=1e-3)"), .layerNorm(LayerNormAttributes(shape: [14], eps: 1e-3, affine: false)))
    }

    func testPReLU() throws {
        XCTAssertEqual(try parsedNorm("nn.PReLU()"), .prelu(slopes: 1))
        XCTAssertEqual(try parsedNorm("nn.PReLU(num_parameters=8)"), .prelu(slopes: 8))
        XCTAssertEqual(try parsedNorm("nn.PReLU(8, init=0.25)"), .prelu(slopes: 8))
        let source = network(init: ["self.conv = nn.Conv2d(1, 8, 3)", "self.act = nn.PReLU(8)", "self.one = nn.PReLU()"],
                             forward: ["return torch.flatten(self.one(self.act(self.conv(x))), 1)"])
        let graph = try parseNet(source).graph
        XCTAssertEqual(graph.parameters.map(\.name), ["conv.weight", "conv.bias", "act.weight", "one.weight"])
        XCTAssertEqual(graph.parameters.map(\.dims).suffix(2), [[8], [1]])
        let back = try parseNet(NetworkSource.emit(graph)).graph
        XCTAssertEqual(back.nodes.map(\.layer), graph.nodes.map(\.layer))
        func error(_ module: String) -> String {
            parseError(network(init: ["self.conv = nn.Conv2d(1, 8, 3)", "self.act = \(module)"],
                               forward: ["return torch.flatten(self.act(self.conv(x)), 1)"])) ?? "parsed"
        }
        XCTAssertTrue(error("nn.PReLU(init=0.1)").contains("init other than 0.25 is not supported"), error("nn.PReLU(init=0.1)"))
        XCTAssertTrue(error("nn.PReLU(3)").contains("PReLU with 3 parameters expects 1 or the input's 8 channels"), error("nn.PReLU(3)"))
    }

    func testLocalResponseNormAndNormalize() throws {
        XCTAssertEqual(try parsedNorm("nn.LocalResponseNorm(2)"), .localResponseNorm(LocalResponseNormAttributes(size: 2)))
        XCTAssertEqual(try parsedNorm("nn.LocalResponseNorm(5, alpha=1e-3, beta=0.5, k=2)"),
                       .localResponseNorm(LocalResponseNormAttributes(size: 5, alpha: 1e-3, beta: 0.5, k: 2)))
        XCTAssertEqual(try parsedNorm(nil, call: "F.local_response_norm(h, 3)"), .localResponseNorm(LocalResponseNormAttributes(size: 3)))
        XCTAssertEqual(try parsedNorm(nil, call: "F.normalize(h)"), .l2Normalize(eps: 1e-12))
        XCTAssertEqual(try parsedNorm(nil, call: "F.normalize(h, p=2, dim=1, eps=1e-6)"), .l2Normalize(eps: 1e-6))
        let features = network(init: ["self.fc = nn.Linear(784, 16)", "self.lrn = nn.LocalResponseNorm(3, alpha=0.01)"],
                               forward: ["h = F.normalize(self.fc(torch.flatten(x, 1)), dim=-1)", "return self.lrn(h.view(-1, 16, 1))"])
        let graph = try parseNet(features).graph
        XCTAssertTrue(graph.nodes.contains { $0.layer == .l2Normalize(eps: 1e-12) })
        let emitted = NetworkSource.emit(graph)
        XCTAssertEqual(try parseNet(emitted).graph.nodes.map(\.layer), graph.nodes.map(\.layer), emitted)
        XCTAssertTrue(emitted.contains("F.normalize(") && emitted.contains("nn.LocalResponseNorm(3, alpha=0.01)"), emitted)
        func error(_ call: String) -> String {
            parseError(network(init: ["self.conv = nn.Conv2d(1, 8, 3)"], forward: ["return torch.flatten(\(call), 1)"])) ?? "parsed"
        }
        XCTAssertTrue(error("F.normalize(self.conv(x), p=1)").contains("only p=2"), error("F.normalize(self.conv(x), p=1)"))
        XCTAssertTrue(error("F.normalize(self.conv(x), dim=2)").contains("only dim=1"), error("F.normalize(self.conv(x), dim=2)"))
        XCTAssertTrue(error("nn.LocalResponseNorm(2)(torch.flatten(self.conv(x), 1))").contains("LocalResponseNorm expects"))
    }

    func testParameterNamesAndCounts() throws {
        let source = network(init: ["self.conv = nn.Conv2d(1, 8, 3, stride=2, padding=1)", "self.gn = nn.GroupNorm(2, 8)",
                                    "self.ln = nn.LayerNorm([8, 14, 14])", "self.inorm = nn.InstanceNorm2d(8)"],
                             forward: ["return torch.flatten(self.inorm(self.ln(self.gn(self.conv(x)))), 1)"])
        let graph = try parseNet(source).graph
        XCTAssertEqual(graph.parameters.map(\.name), ["conv.weight", "conv.bias", "gn.weight", "gn.bias", "ln.weight", "ln.bias"])
        XCTAssertEqual(graph.parameterCount, 80 + 16 + 2 * 8 * 14 * 14)
    }

    func testRefusalsSayWhat() {
        func error(_ module: String, _ call: String = "self.norm(h)") -> String {
            parseError(network(init: ["self.conv = nn.Conv2d(1, 8, 3)", "self.norm = \(module)"],
                               forward: ["h = self.conv(x)", "return torch.flatten(\(call), 1)"])) ?? "parsed"
        }
        XCTAssertTrue(error("nn.GroupNorm(3, 8)").contains("num_channels must be divisible by num_groups"), error("nn.GroupNorm(3, 8)"))
        XCTAssertTrue(error("nn.InstanceNorm2d(8, track_running_stats=True)").contains("track_running_stats=True is not supported"))
        XCTAssertTrue(error("nn.LayerNorm(5)").contains("does not match the trailing dimensions"), error("nn.LayerNorm(5)"))
        XCTAssertTrue(error("nn.GroupNorm(2, 6)").contains("GroupNorm expects 6 channels"), error("nn.GroupNorm(2, 6)"))
        let weighted = parseError(network(init: ["self.w = nn.Linear(784, 4)"],
                                          forward: ["h = torch.flatten(x, 1)", "return F.layer_norm(h, (784,), self.w.weight)"])) ?? "parsed"
        XCTAssertTrue(weighted.contains("not supported"), weighted)
    }

    func testRoundTrip() throws {
        let source = network(init: ["self.conv = nn.Conv2d(1, 8, 3, stride=2, padding=1)", "self.gn = nn.GroupNorm(2, 8, eps=1e-3)",
                                    "self.inorm = nn.InstanceNorm2d(8, affine=True)", "self.ln = nn.LayerNorm([8, 14, 14])",
                                    "self.lw = nn.LayerNorm(14, elementwise_affine=False)", "self.lb = nn.LayerNorm(14, bias=False)",
                                    "self.fc = nn.Linear(1568, 10)"],
                             forward: ["h = self.lb(self.lw(self.ln(self.inorm(self.gn(self.conv(x))))))",
                                       "h = F.layer_norm(h, (14, 14), eps=1e-6)", "return self.fc(torch.flatten(h, 1))"])
        let graph = try parseNet(source).graph
        let emitted = NetworkSource.emit(graph)
        let back = try parseNet(emitted).graph
        XCTAssertEqual(back.nodes.map(\.layer), graph.nodes.map(\.layer), emitted)
        XCTAssertEqual(back.parameters.map(\.name), graph.parameters.map(\.name), emitted)
        XCTAssertTrue(emitted.contains("F.layer_norm(x, [14, 14], eps=1e-06)"), emitted)
        XCTAssertEqual(NetworkSource.emit(back), emitted, "emitting is not stable")
    }
}
