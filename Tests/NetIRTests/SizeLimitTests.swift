// Sizes from users (an --input shape, a class count, a graph read from JSON) are checked before any arithmetic
// that could overflow: a network beyond `SizeLimits` is a NetworkError naming the layer, never a trap.
import XCTest
@testable import NetIR

final class SizeLimitTests: XCTestCase {
    func testParsingRefusesShapesBeyondTheLimits() {
        XCTAssertNil(TensorShape(parsing: "99999999999x99999999999x99999999999"), "overflowing product")
        XCTAssertNil(TensorShape(parsing: "1x16777217x1"), "a side above 2^24")
        XCTAssertNil(TensorShape(parsing: "1x16777216x16777216"), "2^48 elements")
        XCTAssertEqual(TensorShape(parsing: "64x8192x8192")?.checkedCount, 1 << 32)
        XCTAssertEqual(TensorShape(parsing: "3x32x32")?.count, 3072)
    }

    func testBuiltinsWithHugeSizesThrowNamingTheLayer() {
        func message(_ body: () throws -> Graph) -> String? {
            do { _ = try body(); return nil } catch let e as NetworkError { return e.description } catch { return "\(error)" }
        }
        let fashion = TensorShape(channels: 1, height: 28, width: 28)
        // Linear(128, 2^63 - 1): its weight count overflows.
        let classes = message { try BuiltinNetwork.smallcnn.graph(input: fashion, classes: Int.max) }
        XCTAssertTrue(classes?.contains("layer 'fc2'") == true && classes?.contains("too large") == true, classes ?? "no error")
        // An input the command line would refuse, given directly: refused at the first layer, not trapped.
        let input = message { try BuiltinNetwork.smallcnn.graph(input: TensorShape([99_999_999_999, 99_999_999_999, 99_999_999_999])) }
        XCTAssertTrue(input?.contains("too large") == true, input ?? "no error")
        // 2^32 elements in, fine per layer, but fc1's weight (2^28 x 128) passes the parameter limit.
        let wide = message { try BuiltinNetwork.smallcnn.graph(input: TensorShape([64, 8192, 8192])) }
        XCTAssertTrue(wide?.contains("layer 'fc1'") == true && wide?.contains("weight of shape") == true, wide ?? "no error")
    }

    func testAGraphFromJSONWithHugeAttributesIsAnError() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 1, height: 8, width: 8))
        let x = try b.conv2d("conv", b.input, out: 4, kernel: 3)
        var graph = try b.build(output: x)
        guard case .conv2d(var a) = graph.nodes[1].layer else { return XCTFail("not a conv") }
        a.padding = Pair(Int.max / 2)
        graph.nodes[1].layer = .conv2d(a)
        XCTAssertThrowsError(try graph.inferShapes()) { error in
            XCTAssertTrue("\(error)".contains("layer 'conv'"), "\(error)")
        }
        XCTAssertThrowsError(try graph.cost())
    }

    func testPerNodeFlopsSumToTheCost() throws {
        let graph = try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 3, height: 32, width: 32))
        let perNode = graph.flopsPerNode(shapes: try graph.inferShapes())
        XCTAssertEqual(perNode.count, graph.nodes.count)
        XCTAssertEqual(perNode.reduce(0, +), try graph.cost().flops)
    }
}
