import CPUBackend
import Data
import Foundation
import NetCode
import NetIR
import PythonSupport
import XCTest
@testable import Search
@testable import Train

/// NAS-Bench-201 cells as PyTorch source and back: every connected cell round-trips through NetCode and the
/// recogniser, rewritten sources are still recognised, networks outside the space fail with `outside-space`,
/// and parameter counts equal the benchmark's closed form (and PyTorch's, when torch is importable).
final class NB201CodeTests: XCTestCase {
    static let bestCell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
    static let cifar = TensorShape(channels: 3, height: 32, width: 32)

    func cell(_ s: String) throws -> NB201Cell { try NB201Cell(string: s) }

    func source(_ cell: NB201Cell, cellsPerStage: Int = 5, input: TensorShape = cifar, classes: Int = 10) throws -> String {
        try NB201Network(cell: cell, cellsPerStage: cellsPerStage, inputChannels: input.channels, classes: classes).source()
    }

    func graph(_ source: String, input: TensorShape = cifar) throws -> Graph {
        try NetworkSource.parse(source, file: "nb201.py", input: input).graph
    }

    /// Every connected cell, written with one cell per stage (the cell's code is the same at any depth) and
    /// read back, is its representative; a representative reads back as itself. Prints the timing.
    func testEveryConnectedCellRoundTrips() throws {
        let recognizer = NB201Recognizer(cellsPerStage: 1)
        let start = Date()
        var connected = 0, itself = 0, parseSeconds = 0.0
        for cell in NB201Cell.all where cell.isConnected {
            connected += 1
            let text = try source(cell, cellsPerStage: 1)
            let t0 = Date()
            let g = try graph(text)
            parseSeconds += Date().timeIntervalSince(t0)
            let read = try recognizer.cell(in: g)
            guard read == NB201Recognizer.representative(of: cell) else {
                return XCTFail("\(cell) read back as \(read), expected \(String(describing: NB201Recognizer.representative(of: cell)))")
            }
            XCTAssertEqual(NB201Recognizer.representative(of: read), read)
            if read == cell { itself += 1 }
        }
        let seconds = Date().timeIntervalSince(start)
        print("NB201 round trip: \(connected) connected cells, \(itself) read back as themselves, \(NB201Recognizer.representatives.count) distinct computations; \(String(format: "%.1f", seconds)) s in all, parse \(String(format: "%.2f", parseSeconds * 1000 / Double(connected))) ms per 1-cell-per-stage network")
        // 5^6 cells; those cut off from the input are the ones whose every input->output path has a `none`.
        XCTAssertEqual(connected, NB201Cell.all.filter(\.isConnected).count)
        // Every representative, and only they, read back as themselves.
        XCTAssertEqual(itself, NB201Recognizer.representatives.count)
    }

    /// Full networks (five cells per stage) of a seeded sample round-trip, and a cell and its representative
    /// have the same parameters and FLOPs (an independent check that they are one computation).
    func testFullNetworksOfASampleRoundTrip() throws {
        let recognizer = NB201Recognizer()
        var rng = SearchRandom(seed: 201, 5)
        var parseSeconds = 0.0, count = 0
        while count < 60 {
            let cell = NB201Cell.random(rng: &rng)
            guard cell.isConnected, let rep = NB201Recognizer.representative(of: cell) else { continue }
            count += 1
            let t0 = Date()
            let g = try graph(try source(cell))
            parseSeconds += Date().timeIntervalSince(t0)
            XCTAssertEqual(try recognizer.cell(in: g), rep, "\(cell)")
            let a = try g.cost(), b = try graph(try source(rep)).cost()
            XCTAssertEqual(a.parameters, b.parameters, "\(cell) vs \(rep)")
            XCTAssertEqual(a.flops, b.flops, "\(cell) vs \(rep)")
        }
        print("NB201 parse: \(String(format: "%.1f", parseSeconds * 1000 / Double(count))) ms per full network (5 cells per stage)")
    }

    /// The best CIFAR-10 cell as a language model might rewrite it: other names, a ReLU-Conv-BN helper class, a
    /// shared ReLU, the sum written in another order and through an intermediate, a ModuleList of cells.
    func testRewrittenNetworkIsRecognised() throws {
        let text = """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class RCB(nn.Module):
            def __init__(self, c, k):
                super(RCB, self).__init__()
                self.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(c, c, kernel_size=k, stride=1, padding=k // 2, bias=False), nn.BatchNorm2d(c))
            def forward(self, x):
                return self.op(x)

        class SearchCell(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.a = RCB(c, 3)
                self.b = RCB(c, 3)
                self.c = RCB(c, 3)
                self.d = nn.Conv2d(c, c, 3, padding=1, bias=False)
                self.d_bn = nn.BatchNorm2d(c)
                self.e = RCB(c, 1)
            def forward(self, inp):
                n1 = self.a(inp)
                r1 = F.relu(n1)
                n2 = self.c(n1) + self.b(inp)
                partial = self.e(n2) + inp
                return self.d_bn(self.d(r1)) + partial

        class Block(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.a = nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout))
                self.b = nn.Sequential(nn.ReLU(), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
                self.down = nn.Sequential(nn.AvgPool2d(kernel_size=2, stride=2, padding=0), nn.Conv2d(cin, cout, 1, 1, 0, bias=False))
            def forward(self, x):
                return self.b(self.a(x)) + self.down(x)

        class TinyNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16))
                self.layers = nn.ModuleList()
                c = 16
                for i in range(17):
                    if i == 5 or i == 11:
                        self.layers.append(Block(c, c * 2))
                        c *= 2
                    else:
                        self.layers.append(SearchCell(c))
                self.bn = nn.BatchNorm2d(c)
                self.fc = nn.Linear(c, 10)
            def forward(self, x):
                x = self.stem(x)
                for layer in self.layers:
                    x = layer(x)
                x = F.adaptive_avg_pool2d(F.relu(self.bn(x)), 1)
                return self.fc(x.view(x.size(0), -1))
        """
        XCTAssertEqual(try NB201Recognizer().cell(in: try graph(text)), try cell(Self.bestCell))
    }

    /// Sources outside the space, each with the reason the failure must give.
    func testNetworksOutsideTheSpaceAreRejectedWithAReason() throws {
        let best = try source(try cell(Self.bestCell))
        let pool = try source(try cell("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|"))
        let cases: [(String, String, String)] = [
            ("another skeleton", NetworkSource.emit(try BuiltinNetwork.resnet8.graph(input: Self.cifar), className: "Net"), "not a NAS-Bench-201 network"),
            ("an unknown op in the cell",
             pool.replacingOccurrences(of: "nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)", with: "nn.MaxPool2d(3, stride=1, padding=1)"),
             "(MaxPool2d)"),
            ("padding counted in the average",
             pool.replacingOccurrences(of: ", count_include_pad=False", with: ""), "counts the padding"),
            ("a fifth node",
             best.replacingOccurrences(of: "        return node3", with: "        node4 = node3 + self.edge_3_1(node3)\n        return node4"),
             "is not 5 copies"),
            ("a convolution with bias",
             best.replacingOccurrences(of: "nn.Conv2d(channels, channels, 1, bias=False)", with: "nn.Conv2d(channels, channels, 1)"),
             "is not a cell operation"),
            ("a different cell in stage 1", try differentFirstStage(), "stages hold different cells"),
            ("three cells per stage where five are expected", try source(try cell(Self.bestCell), cellsPerStage: 3), "is not 5 copies"),
            ("a dropout before the classifier",
             best.replacingOccurrences(of: "self.classifier(torch.flatten(x, 1))", with: "self.classifier(F.dropout(torch.flatten(x, 1), 0.2))")
                .replacingOccurrences(of: "import torch.nn as nn\n", with: "import torch.nn as nn\nimport torch.nn.functional as F\n"),
             "classifier must read"),
        ]
        let recognizer = NB201Recognizer()
        for (what, text, reason) in cases {
            let g: Graph
            do { g = try graph(text) } catch { XCTFail("\(what): the source itself does not parse: \(error)"); continue }
            do {
                let c = try recognizer.cell(in: g)
                XCTFail("\(what): read as \(c)")
            } catch {
                XCTAssertTrue(error.message.contains(reason), "\(what): \(error.message)")
            }
        }
        // Through the search's checker the same network is a typed `outside-space` failure, not a crash.
        let checker = CandidateChecker(codec: .nb201(input: Self.cifar, classes: 10, space: NB201SpaceSettings()),
                                       classes: 10, limits: SearchLimits(maxFlops: 1_000_000_000, maxActivations: 8_000_000))
        guard case .failure(let f) = checker.check(cases[1].1, file: "child.py") else { return XCTFail("accepted a MaxPool cell") }
        XCTAssertEqual(f.kind, "outside-space")
        XCTAssertTrue(f.message.contains("MaxPool2d"), f.message)
        guard case .success = checker.check(best, file: "best.py") else { return XCTFail("rejected the best cell") }
    }

    /// The emitted network, with stage 1 built from another cell class.
    func differentFirstStage() throws -> String {
        let other = try source(try cell("|nor_conv_1x1~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"))
        let otherCell = other.components(separatedBy: "class ReductionBlock")[0]
            .components(separatedBy: "import torch.nn as nn\n")[1].replacingOccurrences(of: "class Cell(", with: "class OtherCell(")
        return try source(try cell(Self.bestCell))
            .replacingOccurrences(of: "class ReductionBlock", with: otherCell + "\nclass ReductionBlock")
            .replacingOccurrences(of: "                layers.append(Cell(channels))",
                                  with: "                if stage == 0:\n                    layers.append(OtherCell(channels))\n                else:\n                    layers.append(Cell(channels))")
    }

    /// The benchmark network's parameters in closed form: stem, N cells per stage (3x3: 9C^2 + 2C, 1x1:
    /// C^2 + 2C per edge), two reduction blocks, final BatchNorm and Linear.
    static func closedFormParameters(_ cell: NB201Cell, cellsPerStage n: Int, inputChannels: Int, classes: Int) -> Int {
        let ops = cell.canonical.ops
        let k3 = ops.filter { $0 == .conv3x3 }.count, k1 = ops.filter { $0 == .conv1x1 }.count
        var total = inputChannels * 16 * 9 + 2 * 16
        for c in [16, 32, 64] { total += n * (k3 * (9 * c * c + 2 * c) + k1 * (c * c + 2 * c)) }
        for c in [16, 32] { total += 9 * c * 2 * c + 2 * 2 * c + 9 * 4 * c * c + 2 * 2 * c + c * 2 * c }
        return total + 2 * 64 + 64 * classes + classes
    }

    func testParameterCountsMatchTheClosedForm() throws {
        let cells = [Self.bestCell, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
                     "|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|",
                     "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|"]
        for text in cells {
            for (input, classes, n) in [(Self.cifar, 10, 5), (TensorShape(channels: 1, height: 28, width: 28), 100, 2)] {
                let c = try cell(text)
                let g = try graph(try source(c, cellsPerStage: n, input: input, classes: classes), input: input)
                XCTAssertEqual(g.parameterCount, Self.closedFormParameters(c, cellsPerStage: n, inputChannels: input.channels, classes: classes), text)
            }
        }
        // The published sizes: the all-3x3 network has 1.531546 M parameters, the best CIFAR-10 cell 1.073466 M.
        XCTAssertEqual(try graph(try source(try cell(cells[1]))).parameterCount, 1_531_546)
        XCTAssertEqual(try graph(try source(try cell(cells[0]))).parameterCount, 1_073_466)
    }

    /// PyTorch builds the emitted source and counts the same parameters, and a network we trained a step loads
    /// into it with `strict=True` and gives PyTorch our eval-mode logits to 1e-4 (skipped without torch).
    func testPyTorchBuildsOurSourceAndLoadsOurWeights() throws {
        let folder = NSTemporaryDirectory() + "llmatic-nb201-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var arguments: [String] = []
        var expected: [Int] = []
        for (i, text) in [Self.bestCell, "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|"].enumerated() {
            let c = try cell(text)
            let path = "\(folder)/net\(i).py"
            try source(c).write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["count", path, "3x32x32"]
            expected.append(try graph(try source(c)).parameterCount)
        }
        // One cell per stage at 16x16 keeps the trained network small; one step makes BatchNorm statistics real.
        let small = TensorShape(channels: 3, height: 16, width: 16)
        let text = try source(try cell(Self.bestCell), cellsPerStage: 1, input: small)
        let sourcePath = "\(folder)/trained.py", weights = "\(folder)/trained.safetensors", inputsPath = "\(folder)/inputs.bin"
        try text.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let data = try DatasetCatalog.load("synthetic:3x16x16:10:16:8", seed: 2)
        let trainer = try Trainer(graph: try graph(text, input: small),
                                  config: TrainingConfig(epochs: 1, batchSize: 8, learningRate: 0.05, seed: 5), backend: CPUBackend(threads: 2))
        _ = try trainer.train(on: data.train)
        try trainer.saveWeights(to: weights)
        let inputs = (0..<(4 * small.count)).map { Float(cos(Double($0) * 0.21)) }
        try Python.writeFloats(inputs, to: inputsPath)
        let ours = try trainer.logits(for: inputs)
        arguments += ["logits", sourcePath, "3x16x16", weights, inputsPath]

        let script = #"""
        import importlib.util, json, struct, sys
        import torch

        def network(path):
            spec = importlib.util.spec_from_file_location("net", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.Net()

        def safetensors(path):
            blob = open(path, "rb").read()
            size = struct.unpack("<Q", blob[:8])[0]
            header = json.loads(blob[8:8 + size])
            kinds = {"F32": torch.float32, "I64": torch.int64}
            out = {}
            for name, entry in header.items():
                if name != "__metadata__":
                    a, b = entry["data_offsets"]
                    out[name] = torch.frombuffer(bytearray(blob[8 + size + a:8 + size + b]), dtype=kinds[entry["dtype"]]).reshape(entry["shape"]).clone()
            return out

        args = sys.argv[1:]
        while args:
            if args[0] == "count":
                _, path, shape = args[:3]
                args = args[3:]
                net = network(path)
                c, h, w = [int(v) for v in shape.split("x")]
                assert tuple(net(torch.zeros(2, c, h, w)).shape) == (2, 10)
                print("count", sum(p.numel() for p in net.parameters()))
            else:
                _, path, shape, weights, inputs = args[:5]
                args = args[5:]
                net = network(path)
                net.load_state_dict(safetensors(weights), strict=True)
                net.eval()
                c, h, w = [int(v) for v in shape.split("x")]
                x = torch.frombuffer(bytearray(open(inputs, "rb").read()), dtype=torch.float32).reshape(-1, c, h, w)
                with torch.no_grad():
                    print("logits", json.dumps(net(x).flatten().tolist()))
        """#
        if let reason = Python.missing(["torch"]) {
            throw XCTSkip("\(reason): parameter counts and weights not checked against PyTorch")
        }
        let (status, output) = try Python.run(["-c", script] + arguments)
        XCTAssertEqual(status, 0, output)
        let lines = output.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("count ") }.compactMap { Int($0.dropFirst(6)) }, expected, output)
        let theirs = try lines.first { $0.hasPrefix("logits ") }.map {
            try JSONSerialization.jsonObject(with: Data($0.dropFirst(7).utf8)) as? [NSNumber]
        } ?? nil
        let values = try XCTUnwrap(theirs, output).map(\.doubleValue)
        XCTAssertEqual(values.count, ours.count)
        let worst = zip(ours, values).map { abs(Double($0) - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, 1e-4, "largest |ours - PyTorch| over \(values.count) logits")
    }
}
