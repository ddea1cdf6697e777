import XCTest
import NetIR
@testable import NetCode

/// What the Python subset accepts, what it means in NetIR, and what it refuses.
final class SubsetTests: XCTestCase {
    func testSuperVariantsAndModuleLevelConstants() throws {
        for call in ["super().__init__()", "super(Net, self).__init__()", "nn.Module.__init__(self)"] {
            let source = """
            import torch.nn as nn
            HIDDEN = 4 * 8 // 2 % 7 - -1 + 2 ** 3
            class Net(nn.Module):
                def __init__(self, classes=10):
                    \(call)
                    width = HIDDEN * 2
                    self.fc = nn.Linear(28 * 28, width)
                    self.out = nn.Linear(width, classes)
                def forward(self, x):
                    return self.out(self.fc(x.view(x.size(0), -1)))
            """
            let parsed = try parseNet(source)
            XCTAssertEqual(parsed.graph.parameterCount, 784 * 22 + 22 + 22 * 10 + 10, call)  // HIDDEN = 11
        }
    }

    func testConvolutionArguments() throws {
        let source = network(init: [
            "self.a = nn.Conv2d(1, 4, (3, 5), padding='same')",
            "self.b = nn.Conv2d(4, 4, 3, padding='same', dilation=2, groups=4, bias=False)",
            "self.c = nn.Conv2d(in_channels=4, out_channels=8, kernel_size=(2, 2), stride=(2, 1), padding='valid')",
        ], forward: ["return self.c(self.b(self.a(x)))"])
        let g = try parseNet(source).graph
        guard case .conv2d(let a) = g.nodes[1].layer, case .conv2d(let b) = g.nodes[2].layer,
              case .conv2d(let c) = g.nodes[3].layer else { return XCTFail("expected three convolutions") }
        XCTAssertEqual(a.padding, Pair(1, 2))
        XCTAssertEqual(b.padding, Pair(2))
        XCTAssertEqual(b.groups, 4)
        XCTAssertFalse(b.bias)
        XCTAssertEqual(c.stride, Pair(2, 1))
        XCTAssertEqual(c.padding, Pair(0))
        XCTAssertEqual(g.outputShape, TensorShape(channels: 8, height: 14, width: 27))
    }

    func testRefusedConvolutionArguments() {
        func error(_ conv: String) -> String? {
            parseError(network(init: ["self.conv = " + conv], forward: ["return self.conv(x)"]))
        }
        XCTAssertEqual(error("nn.Conv2d(1, 4, 2, padding='same')"),
                       "net.py:8:48: nn.Conv2d(): padding='same' with an even kernel pads asymmetrically, which is not supported")
        XCTAssertEqual(error("nn.Conv2d(1, 4, 3, stride=2, padding='same')"),
                       "net.py:8:58: nn.Conv2d(): padding='same' is not supported for strided convolutions")
        XCTAssertEqual(error("nn.Conv2d(1, 4, 3, padding_mode='circular')"),
                       "net.py:8:53: nn.Conv2d(): padding_mode='circular' is not supported ('zeros', 'reflect' or 'replicate')")
        XCTAssertEqual(error("nn.Conv2d(3, 4, 3, groups=2)"), "net.py:8:47: nn.Conv2d(): in_channels must be divisible by groups")
        XCTAssertEqual(error("nn.Conv2d(1, 8, kernel=3)"), "net.py:8:44: nn.Conv2d() got an unexpected keyword argument 'kernel'")
        XCTAssertEqual(error("nn.Conv2d(1, 8)"), "net.py:8:21: nn.Conv2d() missing required argument 'kernel_size'")
        XCTAssertEqual(error("nn.Conv2d(1, 8, 3.5)"), "net.py:8:37: nn.Conv2d(): kernel_size must be an int or a pair of ints, got float")
        XCTAssertEqual(error("nn.Dropout3d(0.2)"),
                       "net.py:8:21: nn.Dropout3d is not supported (it zeroes whole channels; plain dropout is not equivalent)")
        XCTAssertEqual(error("nn.MaxPool2d(2, dilation=2)"), "net.py:8:46: nn.MaxPool2d(): dilation is not supported for pooling")
        XCTAssertEqual(error("nn.BatchNorm2d(1, momentum=None)"),
                       "net.py:8:48: nn.BatchNorm2d(): momentum=None (cumulative averaging) is not supported")
        XCTAssertEqual(error("nn.GRU(4, 4)"), "net.py:8:21: nn.GRU is not supported (near equivalent: a stack of nn.Conv2d layers (recurrent layers are not supported))")
    }

    func testEverySpellingOfFlattenIsOneFlattenNode() throws {
        let spellings = [
            "x = torch.flatten(x, 1)", "x = torch.flatten(x, start_dim=1)", "x = x.view(x.size(0), -1)",
            "x = x.view(-1, 8 * 26 * 26)", "x = x.reshape(x.shape[0], -1)", "x = x.flatten(1)", "x = self.flat(x)",
            "x = x.view(x.size()[0], -1)", "n = x.size(0)\nx = x.view(n, -1)",
            "x = x.view(-1, x.size(1) * x.size(2) * x.size(3))", "x = x.reshape((x.shape[0], -1))",
            "x = nn.Flatten()(x)",
        ]
        for spelling in spellings {
            let source = network(init: ["self.conv = nn.Conv2d(1, 8, 3)", "self.flat = nn.Flatten()", "self.fc = nn.Linear(5408, 10)"],
                                 forward: ["x = self.conv(x)"] + spelling.split(separator: "\n").map(String.init) + ["return self.fc(x)"])
            let g = try parseNet(source).graph
            XCTAssertEqual(g.layerNames, ["Input", "Conv2d", "Flatten", "Linear"], spelling)
        }
    }

    func testRefusedReshapes() {
        func error(_ line: String) -> String? {
            parseError(network(init: ["self.conv = nn.Conv2d(1, 8, 3)"], forward: ["x = self.conv(x)", line, "return x"]))
        }
        XCTAssertEqual(error("x = x.view(-1, 16 * 5 * 5)"),
                       "net.py:12:13: x.view(-1, 400): 400 does not match the 5408 elements per sample of shape 8x26x26")
        XCTAssertEqual(error("x = x.view(-1)"), "net.py:12:13: x.view(-1): this also flattens the batch dimension; keep it with view(x.size(0), -1)")
        XCTAssertNil(error("x = x.view(x.size(0), 8, 13, 52)"), "any view keeping the element count is a Reshape")
        XCTAssertEqual(error("x = x.view(x.size(0), 8, 13, 51)"),
                       "net.py:12:13: x.view(batch, 8, 13, 51): 5304 does not match the 5408 elements per sample of shape 8x26x26")
        XCTAssertEqual(error("x = torch.flatten(x)"),
                       "net.py:12:13: torch.flatten(): flattening from dim 0 is not supported; flatten(x, 1) keeps the batch dimension")
        XCTAssertEqual(error("x = x * 'a'"), "net.py:12:13: operator '*' on these operands is not supported (tensor + - * tensor, tensor + - * / number)")
        XCTAssertEqual(error("x = torch.cat([x, x], dim=0)"),
                       "net.py:12:35: torch.cat(): concatenating along dim=0 is not supported (only dim=1, the channels or features)")
        XCTAssertEqual(error("x = F.softmax(x, dim=1)"), "net.py:12:13: F.softmax over a [8x26x26] image tensor is not supported; flatten first")
        XCTAssertEqual(error("if x.size(1) > 4:\n            x = F.relu(x)"), nil)
        XCTAssertEqual(error("if x:\n            x = F.relu(x)"),
                       "net.py:12:12: a tensor's value is unknown before the network runs; 'if' cannot depend on it (near equivalent: a condition on Python values known in __init__ (sizes, flags))")
        XCTAssertNil(error("x = x[:, 0:4]"), "a channel range is a Slice")
        XCTAssertEqual(error("x = x[:, :, 0]"), "net.py:12:13: indexing a tensor: only the channels (dim 1) can take an integer index (near equivalent: x[:, a:b] (a channel range), x[:, :, None, None] (new dims), torch.split(x, sizes, dim=1) or x.chunk(n, dim=1))")
    }

    func testResidualsConcatenationAndLoops() throws {
        let source = network(init: [
            "self.stem = nn.Conv2d(1, 8, 3, padding=1)",
            "self.blocks = nn.ModuleList()",
            "for i in range(3):",
            "    self.blocks.append(nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True)))",
            "self.mix = nn.Conv2d(16, 8, 1)",
            "self.head = nn.Linear(8, 10)",
        ], forward: [
            "x = self.stem(x)",
            "for i, block in enumerate(self.blocks):",
            "    x += block(x)",
            "y = torch.cat((x, self.blocks[-1](x)), 1)",
            "x = self.mix(y) + x",
            "x = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)",
            "return self.head(x)",
        ])
        let g = try parseNet(source).graph
        XCTAssertEqual(g.nodes.filter { $0.layer == .add }.map(\.name), ["add_1", "add_2", "add_3", "add_4"])
        XCTAssertEqual(g.nodes.filter { $0.layer == .concat }.map(\.name), ["cat_1"])
        // The last block runs twice: the second call's nodes get suffixed names but share its parameters.
        XCTAssertEqual(g.nodes.filter { $0.module == "blocks.2.0" }.map(\.name), ["blocks.2.0", "blocks.2.0_1"])
        XCTAssertEqual(g.parameterCount, 8 * 9 + 8 + 3 * (8 * 8 * 9 + 8 + 16) + 16 * 8 + 8 + 8 * 10 + 10)
    }

    func testDropoutRespectsTrainingArgument() throws {
        let source = network(init: ["self.fc = nn.Linear(784, 10)"], forward: [
            "x = torch.flatten(x, 1)", "x = F.dropout(x, 0.2, training=self.training)", "x = F.dropout(x, p=0.3, training=False)",
            "x = F.dropout(x)", "return self.fc(x)",
        ])
        let g = try parseNet(source).graph
        XCTAssertEqual(g.nodes.compactMap { node -> Float? in if case .dropout(let p) = node.layer { return p } else { return nil } }, [0.2, 0.5])
        XCTAssertEqual(g.nodes.filter { if case .dropout = $0.layer { return true } else { return false } }.map(\.name),
                       ["dropout_f1", "dropout_f2"])
    }

    func testLayerOptionsReachTheIR() throws {
        let source = network(init: [
            "self.fc = nn.Linear(784, 32, bias=False)", "self.bn = nn.BatchNorm1d(32, eps=1e-3, momentum=0.01, affine=False)",
            "self.act = nn.LeakyReLU(negative_slope=0.2)", "self.elu = nn.ELU(0.5)", "self.out = nn.Linear(32, 10)",
            "self.sm = nn.LogSoftmax(dim=-1)",
        ], forward: ["x = self.act(self.bn(self.fc(torch.flatten(x, 1))))", "return self.sm(self.out(self.elu(x)))"])
        let g = try parseNet(source).graph
        XCTAssertEqual(g.nodes[2].layer, .linear(inFeatures: 784, outFeatures: 32, bias: false))
        XCTAssertEqual(g.nodes[3].layer, .batchNorm(BatchNormAttributes(features: 32, dimensions: 1, eps: 1e-3, momentum: 0.01, affine: false)))
        XCTAssertEqual(g.nodes[4].layer, .activation(.leakyRelu(slope: 0.2)))
        XCTAssertEqual(g.nodes[5].layer, .activation(.elu(alpha: 0.5)))
        XCTAssertEqual(g.nodes.last?.layer, .logSoftmax)
        XCTAssertEqual(g.parameterCount, 784 * 32 + 32 * 10 + 10)
    }

    func testInitialisationCodeAndHelpersAreAccepted() throws {
        let source = """
        import math
        import torch
        import torch.nn as nn
        from torch.nn import functional as F

        def conv3x3(cin, cout, stride=1):
            \"\"\"3x3 convolution with padding\"\"\"
            return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)

        class Net(nn.Module):
            def __init__(self, widths=[8, 16]):
                super().__init__()
                layers = []
                cin = 1
                for w in widths:
                    layers.extend([conv3x3(cin, w, stride=2), nn.BatchNorm2d(w), nn.ReLU()])
                    cin = w
                self.features = nn.Sequential(*layers)
                self.add_module("classifier", nn.Linear(cin * int(math.ceil(28 / 4)) ** 2, 10))
                self.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
                scale = (lambda a, b=2: a * b)(3)
                self.scale = scale
                for m in self.modules():
                    if isinstance(m, nn.Conv2d):
                        nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                    elif isinstance(m, (nn.BatchNorm2d, nn.Linear)):
                        if m.bias is not None:
                            nn.init.zeros_(m.bias)

            def forward(self, x):
                x = self.features[:3](x)
                x = self.features[3:](x)
                return getattr(self, "classifier")(torch.flatten(x, 1))

        if __name__ == "__main__":
            net = Net()
            while True:
                print(net(torch.randn(1, 1, 28, 28)).shape)
        """
        let g = try parseNet(source).graph
        XCTAssertEqual(g.parameters.map(\.name), [
            "features.0.weight", "features.1.weight", "features.1.bias", "features.3.weight", "features.4.weight",
            "features.4.bias", "classifier.weight", "classifier.bias",
        ])
        XCTAssertEqual(g.outputShape, TensorShape(features: 10))
    }

    func testStarImports() throws {
        let source = "from torch.nn import *\nfrom torch.nn.functional import *\nimport torch\n" +
                     "class Net(Module):\n    def __init__(self):\n        super().__init__()\n" +
                     "        self.fc = Linear(784, 10)\n    def forward(self, x):\n        return relu(self.fc(torch.flatten(x, 1)))\n"
        XCTAssertEqual(try parseNet(source).graph.layerNames, ["Input", "Flatten", "Linear", "ReLU"])
    }

    func testRefusedStatementsAndExpressions() {
        func error(_ lines: [String]) -> String? { parseError(network(init: lines, forward: ["return x"])) }
        XCTAssertEqual(error(["while True:", "    pass"]), "net.py:9:13: evaluation takes too long (more than \(Limits.steps) steps; a loop too long?)")
        XCTAssertEqual(error(["n = 1", "while n < 8:", "    n *= 2", "self.fc = nn.Linear(n, 2)"]), nil)
        XCTAssertEqual(error(["with open('f') as f:", "    pass"]),
                       "net.py:8:14: 'with' statements other than torch.no_grad() are not supported (near equivalent: the body without the 'with')")
        XCTAssertEqual(error(["with torch.no_grad():", "    pass"]), nil)
        XCTAssertEqual(error(["name = f'conv{1}'"]), nil)
        XCTAssertEqual(error(["name = f'conv{1'"]), "net.py:8:16: unterminated field in a format string")
        XCTAssertEqual(error(["self.layers = [nn.Linear(4, 4)]"]), nil)
        XCTAssertEqual(error(["self.w = nn.Parameter(3)"]),
                       "net.py:8:18: nn.Parameter is not supported (only layers' own parameters are trained) (near equivalent: a layer that owns its weights (nn.Linear, nn.Conv2d with groups=channels for a per-channel scale))")
        XCTAssertEqual(error(["self.register_buffer('mean', None)"]), "net.py:8:9: self.register_buffer is not supported")
        XCTAssertEqual(error(["x = undefined_name + 1"]), "net.py:8:13: unknown name 'undefined_name'")
        XCTAssertEqual(error(["x = 1 / 0"]), "net.py:8:13: division by zero")
        let list = network(init: ["self.layers = [nn.Linear(784, 10)]"], forward: ["return self.layers[0](torch.flatten(x, 1))"])
        XCTAssertEqual(parseError(list),
                       "net.py:11:16: nn.Linear is not a registered submodule: assign it to self.<name> in __init__ (layers kept in a Python list are invisible to PyTorch; use nn.ModuleList)")
        let inline = network(init: [], forward: ["return nn.ReLU()(x)"])
        XCTAssertEqual(try parseNet(inline).graph.nodes.map(\.name), ["input", "relu_f1"])
    }

    func testClassSelection() throws {
        let blocks = """
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 1, 1)
            def forward(self, x):
                return self.conv(x)
        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.block = Block()
            def forward(self, x):
                return self.block(x)
        class Extra(nn.Module):
            def forward(self, x):
                return x

        """
        XCTAssertEqual(try parseNet(blocks + "class Net(Model):\n    pass\n").className, "Net")
        XCTAssertEqual(try parseNet(blocks).className, "Extra")
        XCTAssertEqual(try parseNet(blocks, className: "Block").className, "Block")
        let helperless = blocks.components(separatedBy: "class Extra")[0]
        XCTAssertEqual(try parseNet(helperless).className, "Model")
        XCTAssertEqual(try parseNet(helperless).graph.parameters.map(\.name), ["block.conv.weight", "block.conv.bias"])
    }

    /// torchvision's `ConvBNReLU(nn.Sequential)` style, and class attributes built from earlier ones
    /// (PyTorch: 5018 parameters).
    func testSequentialSubclassesAndClassAttributes() throws {
        let source = """
        import torch
        import torch.nn as nn


        class ConvBNReLU(nn.Sequential):
            def __init__(self, cin, cout, stride=1):
                padding = 1
                super(ConvBNReLU, self).__init__(
                    nn.Conv2d(cin, cout, 3, stride, padding, bias=False),
                    nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True),
                )


        class Head(nn.Sequential):
            def __init__(self, cin, classes):
                nn.Sequential.__init__(self, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))


        class Net(nn.Module):
            expansion = 2
            width = 8 * expansion

            def __init__(self):
                super().__init__()
                self.stem = ConvBNReLU(1, self.width, stride=2)
                self.body = nn.Sequential(*[ConvBNReLU(self.width, self.width) for _ in range(2)])
                self.head = Head(self.width, 10)

            def forward(self, x):
                x = self.stem(x)
                for block in self.body:
                    x = block(x)
                return self.head(x)

        """
        let parsed = try parseNet(source)
        XCTAssertEqual(parsed.graph.parameterCount, 5018)
        XCTAssertEqual(Array(parsed.graph.parameters.map(\.name).prefix(5)),
                       ["stem.0.weight", "stem.1.weight", "stem.1.bias", "body.0.0.weight", "body.0.1.weight"])
        XCTAssertEqual(parsed.graph.outputShape, TensorShape(features: 10))
    }
}
