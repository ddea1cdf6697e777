import XCTest
import NetIR
@testable import NetCode

/// Python forms code models write: names built with f-strings, `str.format`, `%` and `+`; dummy forwards in
/// `__init__` to size the first Linear; lazy layers; `@staticmethod` helpers. Expected counts are PyTorch's.
final class PythonFormsTests: XCTestCase {
    func testNamesFromEveryFormattingForm() throws {
        let forms = ["f'conv{i}'", "'conv{}'.format(i)", "'conv{0}'.format(i)", "'conv{n}'.format(n=i)", "'conv%d' % i",
                     "'conv%s' % (i,)", "'conv' + str(i)"]
        for form in forms {
            let source = network(init: ["for i in range(2):", "    self.add_module(\(form), nn.Conv2d(1 if i == 0 else 4, 4, 3))"],
                                 forward: ["x = self.conv1(self.conv0(x))", "return torch.flatten(x, 1)"])
            let parsed = try parseNet(source)
            XCTAssertEqual(parsed.graph.parameters.map(\.name), ["conv0.weight", "conv0.bias", "conv1.weight", "conv1.bias"], form)
        }
    }

    func testFormatSpecsAndEscapes() throws {
        let interpreter = Interpreter(file: "t.py")
        let at = Expr(kind: .none, line: 1, column: 1, height: 1)
        XCTAssertEqual(try interpreter.formatValue(.int(3), spec: "02d", at: at), "03")
        XCTAssertEqual(try interpreter.formatValue(.int(-3), spec: "03d", at: at), "-03")
        XCTAssertEqual(try interpreter.formatValue(.float(0.5), spec: ".2f", at: at), "0.50")
        XCTAssertEqual(try interpreter.formatValue(.string("a"), spec: ">3", at: at), "  a")
        XCTAssertEqual(try interpreter.formatValue(.string("a"), spec: "*<3", at: at), "a**")
        XCTAssertEqual(try interpreter.percentFormat("b%02d_%s%%", .tuple([.int(7), .string("x")]), at: at), "b07_x%")
        let source = network(init: ["self.add_module(f'{{c}}{1 + 1}'.replace('{c}', ''), nn.ReLU())"], forward: ["return x"])
        XCTAssertNotNil(parseError(source), "str.replace is not translated; the f-string part must still parse")
        let braces = network(init: ["name = f'{{a}}_{2 * 3:03d}'", "self.fc = nn.Linear(784, len(name))"],
                             forward: ["return self.fc(torch.flatten(x, 1))"])
        // '{a}_006' has 7 characters.
        XCTAssertEqual(try parseNet(braces).totalParameterCount, 784 * 7 + 7)
    }

    func testDummyForwardSizesTheFirstLinear() throws {
        let sizing = [
            "with torch.no_grad():\n            n = self.features(torch.zeros(1, 1, 28, 28)).numel()",
            "with torch.no_grad():\n            n = self.features(torch.randn(2, 1, 28, 28)).view(2, -1).size(1)",
            "n = self.features(torch.ones((1, 1, 28, 28))).flatten(1).shape[1]",
        ]
        for form in sizing {
            let source = network(init: ["self.features = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2))", form,
                                        "self.fc = nn.Linear(n, 10)"],
                                 forward: ["return self.fc(torch.flatten(self.features(x), 1))"])
            let parsed = try parseNet(source)
            // PyTorch: 8*1*3*3+8 + 8*13*13*10+10.
            XCTAssertEqual(parsed.totalParameterCount, 80 + 13_530, form)
            // The dummy forward leaves no trace: the network's nodes are the real forward's only.
            XCTAssertEqual(parsed.graph.nodes.map(\.name), ["input", "features.0", "features.1", "features.2", "flatten_1", "fc"], form)
        }
    }

    func testConstantTensorsInForwardAreRefused() {
        let source = network(init: [], forward: ["return x + torch.zeros(1, 1, 28, 28)"])
        XCTAssertEqual(parseError(source).map { $0.contains("torch.zeros inside forward() is not supported") }, true)
    }

    func testLazyLayersResolveAndEmitConcrete() throws {
        let source = network(init: ["self.conv = nn.LazyConv2d(8, 3)", "self.bn = nn.LazyBatchNorm2d()", "self.fc = nn.LazyLinear(10)"],
                             forward: ["x = F.relu(self.bn(self.conv(x)))", "return self.fc(torch.flatten(x, 1))"])
        let parsed = try parseNet(source)
        // PyTorch after the first forward: conv 1*8*9+8, bn 16, fc 8*26*26*10+10.
        XCTAssertEqual(parsed.totalParameterCount, 80 + 16 + 54_090)
        let emitted = NetworkSource.emit(parsed.graph, className: parsed.className)
        XCTAssertFalse(emitted.contains("Lazy"), emitted)
        XCTAssertTrue(emitted.contains("nn.Linear(5408, 10)"), emitted)
        XCTAssertEqual(try parseNet(emitted).totalParameterCount, parsed.totalParameterCount)
    }

    func testLazyLinearOnAnImageIsAShapeError() throws {
        let source = network(init: ["self.fc = nn.LazyLinear(10)"], forward: ["return self.fc(x)"])
        do {
            _ = try NetworkSource.parse(source, file: "net.py", input: TensorShape([1, 28, 28]))
            XCTFail("an image reaching a LazyLinear must be refused")
        } catch let error as SourceError {
            XCTAssertEqual(error.kind, .shape)
            XCTAssertEqual(error.location.line, 11)
        }
    }

    func testStaticMethodsAndSetattr() throws {
        let source = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                setattr(self, 'block', self.make(1, 4))
                self.fc = Net.make_head(4 * 26 * 26)

            @staticmethod
            def make(cin, cout):
                return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU())

            @staticmethod
            def make_head(n):
                return nn.Linear(n, 10)

            def forward(self, x):
                return self.fc(self.block(x).flatten(1))
        """
        XCTAssertEqual(try parseNet(source).totalParameterCount, 40 + 27_050)
        let decorated = source.replacingOccurrences(of: "@staticmethod\n    def make(", with: "@torch.jit.script\n    def make(")
        XCTAssertEqual(parseError(decorated).map { $0.contains("decorated functions are not supported") }, true)
    }
}
