import XCTest
@testable import NetIR

final class NetIRTests: XCTestCase {
    let fashion = TensorShape(channels: 1, height: 28, width: 28)

    /// Parameter counts equal PyTorch's for the same networks (torch_rate.py's definitions, 1x28x28 input):
    /// sum(p.numel() for p in net.parameters()).
    func testBuiltinParameterCountsMatchPyTorch() throws {
        XCTAssertEqual(try BuiltinNetwork.initial.graph(input: fashion).parameterCount, 7852)
        XCTAssertEqual(try BuiltinNetwork.smallcnn.graph(input: fashion).parameterCount, 421_642)
        XCTAssertEqual(try BuiltinNetwork.resnet8.graph(input: fashion).parameterCount, 77_754)
        let cifar = TensorShape(channels: 3, height: 32, width: 32)
        XCTAssertEqual(try BuiltinNetwork.initial.graph(input: cifar).parameterCount, 4 + 10250)
    }

    func testShapesOfResNet8() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: fashion)
        let shapes = try g.inferShapes()
        XCTAssertEqual(shapes[g.index(named: "s2_add")!], TensorShape(channels: 32, height: 14, width: 14))
        XCTAssertEqual(shapes[g.index(named: "s3_add")!], TensorShape(channels: 64, height: 7, width: 7))
        XCTAssertEqual(shapes[g.output], TensorShape(features: 10))
        XCTAssertEqual(g.buffers.count, 2 * 9)
    }

    func testFlopsCountMultiplyAddAsTwo() throws {
        let g = try BuiltinNetwork.initial.graph(input: fashion)
        let c = try g.cost()
        // conv 1x1: 784 MACs*2 + 784 bias; relu 784; linear 7840*2 + 10.
        XCTAssertEqual(c.flops, 784 * 2 + 784 + 784 + 7840 * 2 + 10)
        XCTAssertEqual(c.depth, 2)
        XCTAssertEqual(c.width, 10)
    }

    func testDepthCountsLongestPathThroughResidualBlocks() throws {
        let c = try BuiltinNetwork.resnet8.graph(input: fashion).cost()
        XCTAssertEqual(c.depth, 8)
        XCTAssertEqual(c.width, 64)
    }

    func testShapeErrorNamesLayerAndShapes() {
        var b = NetworkBuilder(input: fashion)
        XCTAssertThrowsError(try b.linear("fc1", b.input, out: 10)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("fc1"), text)
            XCTAssertTrue(text.contains("1x28x28"), text)
        }
        let bad = Graph(inputShape: fashion, nodes: [
            Node(name: "input", layer: .input, inputs: []),
            Node(name: "conv", layer: .conv2d(Conv2dAttributes(inChannels: 3, outChannels: 8, kernel: Pair(3))), inputs: [0],
                 location: SourceLocation(file: "net.py", line: 7, column: 20)),
        ], output: 1)
        XCTAssertThrowsError(try bad.inferShapes()) { error in
            XCTAssertEqual(String(describing: error),
                           "net.py:7:20: layer 'conv': Conv2d expects 3 input channels, got input of shape 1x28x28")
        }
    }

    func testAddAndConcatShapeChecks() throws {
        var b = NetworkBuilder(input: fashion)
        let a = try b.conv2d("a", b.input, out: 4, kernel: 3, padding: 1)
        let c = try b.conv2d("c", b.input, out: 6, kernel: 3, padding: 1)
        XCTAssertThrowsError(try b.addValues("sum", a, c))
        let cat = try b.concat("cat", [a, c])
        XCTAssertEqual(b.shape(of: cat), TensorShape(channels: 10, height: 28, width: 28))
        let p = try b.maxPool("p", c, kernel: 2)
        XCTAssertThrowsError(try b.concat("cat2", [a, p]))
    }

    func testDuplicateNamesAreRejectedAndLeaveTheBuilderUnchanged() throws {
        var b = NetworkBuilder(input: fashion)
        let a = try b.conv2d("a", b.input, out: 4, kernel: 3, padding: 1)
        XCTAssertThrowsError(try b.relu("a", a)) { XCTAssert("\($0)".contains("duplicate layer name"), "\($0)") }
        XCTAssertThrowsError(try b.relu("input", a))
        XCTAssertEqual(b.nodes.count, 2)
        // A layer whose shape check failed did not take its name.
        XCTAssertThrowsError(try b.linear("fc", a, out: 3))
        XCTAssertNoThrow(try b.relu("fc", a))
    }

    func testGroupsMustDivideChannels() {
        var b = NetworkBuilder(input: TensorShape(channels: 6, height: 8, width: 8))
        XCTAssertThrowsError(try b.conv2d("dw", b.input, out: 8, kernel: 3, groups: 4))
        XCTAssertNoThrow(try b.conv2d("dw2", b.input, out: 6, kernel: 3, groups: 6))
    }

    func testSharedModuleParametersCountOnce() throws {
        var b = NetworkBuilder(input: TensorShape(features: 8))
        let l = Layer.linear(inFeatures: 8, outFeatures: 8, bias: true)
        let x = try b.add("fc", l, [b.input])
        let y = try b.add("fc_1", l, [x], module: "fc")
        let g = try b.build(output: y)
        XCTAssertEqual(g.parameterCount, 72)
        XCTAssertEqual(g.parameters.map(\.name), ["fc.weight", "fc.bias"])
    }

    func testGraphRoundTripsThroughJSON() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: fashion)
        let data = try JSONEncoder().encode(g)
        XCTAssertEqual(try JSONDecoder().decode(Graph.self, from: data), g)
    }

    func testShapeParsing() {
        XCTAssertEqual(TensorShape(parsing: "3x32x32"), TensorShape(channels: 3, height: 32, width: 32))
        XCTAssertNil(TensorShape(parsing: "3x32"))
        XCTAssertNil(TensorShape(parsing: "0x1x1"))
        XCTAssertNil(TensorShape(parsing: "abc"))
    }
}
