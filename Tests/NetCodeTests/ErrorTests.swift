import XCTest
import NetIR
@testable import NetCode

/// Errors name the file, line and column of what was not understood, in the `file:line:column: message` form.
/// In `network(init:forward:)` sources, `__init__` lines start at line 8; `def forward` comes two lines after
/// the last of them and its body right after that.
final class ErrorTests: XCTestCase {
    func testUnsupportedLayer() {
        let source = network(init: ["self.rnn = nn.LSTM(28, 64, batch_first=True)", "self.fc = nn.Linear(64, 10)"],
                             forward: ["return self.fc(self.rnn(x))"])
        XCTAssertEqual(parseError(source), "net.py:8:20: nn.LSTM is not supported (near equivalent: a stack of nn.Conv2d layers (recurrent layers are not supported))")
    }

    func testUnknownAttributeInForward() {
        let source = network(init: ["self.conv1 = nn.Conv2d(1, 8, 3)", "self.conv2 = nn.Conv2d(8, 8, 3)"],
                             forward: ["x = self.conv1(x)", "x = F.relu(self.conv3(x))", "return x"])
        XCTAssertEqual(parseError(source), "net.py:13:20: unknown name 'self.conv3'")
    }

    func testShapeMismatchNamesTheCallAndTheDefinition() {
        let source = network(init: ["self.conv = nn.Conv2d(1, 4, 3)", "self.fc1 = nn.Linear(1000, 10)"],
                             forward: ["x = F.relu(self.conv(x))", "x = torch.flatten(x, 1)", "x = self.fc1(x)", "return x"])
        XCTAssertEqual(parseError(source),
                       "net.py:14:13: layer 'fc1' (nn.Linear defined at line 9): Linear expects 1000 input features, got 2704")
    }

    func testConvolutionChannelMismatch() {
        let source = network(init: ["self.a = nn.Conv2d(1, 8, 3)", "self.b = nn.Conv2d(16, 8, 3)"],
                             forward: ["return self.b(self.a(x))"])
        XCTAssertEqual(parseError(source),
                       "net.py:12:16: layer 'b' (nn.Conv2d defined at line 9): Conv2d expects 16 input channels, got input of shape 8x26x26")
    }

    func testSyntaxErrors() {
        let good = network(init: ["self.fc = nn.Linear(784, 10)"], forward: ["return self.fc(torch.flatten(x, 1))"])
        XCTAssertNil(parseError(good))
        func broken(_ line: String) -> String? {
            parseError(network(init: ["self.fc = nn.Linear(784, 10)"], forward: [line, "return self.fc(torch.flatten(x, 1))"]))
        }
        XCTAssertEqual(broken("x = torch.flatten(x, 1))"), "net.py:11:32: unmatched ')'")
        XCTAssertEqual(broken("x = = x"), "net.py:11:13: unexpected token '='")
        XCTAssertEqual(broken("x = x +"), "net.py:11:16: unexpected end of line")
        XCTAssertEqual(broken("x = x x"), "net.py:11:15: unexpected token 'x'")
        XCTAssertEqual(broken("x = [x for x in]"), "net.py:11:24: unexpected token ']'")
        XCTAssertEqual(broken("x = (x,"), "net.py:11:13: '(' was never closed")
        XCTAssertEqual(broken("x = x $ 2"), "net.py:11:15: unexpected character '$'")
        XCTAssertEqual(parseError("class Net(nn.Module)\n    pass\n"), "net.py:1:21: expected ':', found end of line")
        XCTAssertEqual(parseError("x = lambda y y\n"), "net.py:1:14: expected ':', found 'y'")
    }

    func testUnterminatedStrings() {
        let single = network(init: ["self.conv = nn.Conv2d(1, 8, 3, padding='same)"], forward: ["return x"])
        XCTAssertEqual(parseError(single), "net.py:8:48: unterminated string literal")
        XCTAssertEqual(parseError("import torch\n\"\"\"docstring\n\nclass Net: pass\n"),
                       "net.py:2:1: unterminated triple-quoted string literal")
    }

    func testBadIndentation() {
        let dedent = "class Net(nn.Module):\n    def forward(self, x):\n        x = x\n      return x\n"
        XCTAssertEqual(parseError(dedent), "net.py:4:7: unindent does not match any outer indentation level")
        let indent = "class Net(nn.Module):\n    def forward(self, x):\n        x = x\n            return x\n"
        XCTAssertEqual(parseError(indent), "net.py:4:13: unexpected indent")
        let missing = "class Net(nn.Module):\n    def forward(self, x):\n    return x\n"
        XCTAssertEqual(parseError(missing), "net.py:3:5: expected an indented block")
    }

    func testMissingForward() {
        let source = "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        XCTAssertEqual(parseError(source), "net.py:3:1: class Net has no forward() method")
    }

    func testMissingReturn() {
        let source = network(init: ["self.fc = nn.Linear(784, 10)"], forward: ["x = self.fc(torch.flatten(x, 1))"])
        XCTAssertEqual(parseError(source), "net.py:10:5: forward() of Net returns nothing; it must return the output tensor")
    }

    func testNoNetworkClass() {
        XCTAssertEqual(parseError("import torch\nx = 1\n"), "net.py:1:1: no nn.Module subclass found")
        XCTAssertEqual(parseError("class Net(nn.Module):\n    pass\n", className: "Model"), "net.py:1:1: no class named 'Model'")
        XCTAssertEqual(parseError("class Net:\n    def forward(self, x):\n        return x\n", className: "Net"),
                       "net.py:1:1: class Net does not derive from nn.Module")
    }

    func testNetworkClassNeedsDefaultsForItsArguments() {
        let source = "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, width):\n        super().__init__()\n" +
                     "    def forward(self, x):\n        return x\n"
        XCTAssertEqual(parseError(source), "net.py:2:1: Net.__init__() missing required argument 'width'")
    }
}
