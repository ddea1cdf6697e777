import NetIR

/// The benchmark's macro skeleton around a cell (NAS-Bench-201's TinyNetwork): a 3x3 stem convolution to
/// `channels` (no bias) + BatchNorm; three stages of `cellsPerStage` cells at `channels`, 2x and 4x channels;
/// between stages a residual reduction block (ReLU-Conv3x3(stride 2)-BN, ReLU-Conv3x3-BN; shortcut
/// AvgPool2d(2, 2) + Conv1x1 without bias; the two summed); then BatchNorm, ReLU, global average pooling,
/// flatten and Linear(4 x channels, classes) with bias.
public struct NB201Skeleton: Hashable, Codable, Sendable {
    /// Input side in pixels (32 for CIFAR, 16 for ImageNet16-120); three input channels.
    public var imageSize: Int
    public var classes: Int
    public var channels: Int
    public var cellsPerStage: Int

    public init(imageSize: Int = 32, classes: Int = 10, channels: Int = 16, cellsPerStage: Int = 5) {
        self.imageSize = imageSize; self.classes = classes; self.channels = channels; self.cellsPerStage = cellsPerStage
    }

    /// The skeleton the benchmark trained for one of its tables (`cifar10`, `cifar100`, `imagenet16-120`),
    /// nil for another name.
    public static func benchmark(_ table: String) -> NB201Skeleton? {
        switch table {
        case "cifar10": return NB201Skeleton(imageSize: 32, classes: 10)
        case "cifar100": return NB201Skeleton(imageSize: 32, classes: 100)
        case "imagenet16-120": return NB201Skeleton(imageSize: 16, classes: 120)
        default: return nil
        }
    }
}

/// What a cell holds once the `none` edges are gone, counted once so the cost is a few multiplications per
/// stage (the cost is needed for every table query).
struct NB201CellShape {
    /// Edges present in the network, by op: a non-`none` edge whose source node has a value. A node has a
    /// value when it is node 0 or has a present input edge; a node with none outputs zeros in the benchmark
    /// and has no layer here, so edges out of it are absent too.
    var conv3x3 = 0, conv1x1 = 0, avgPool = 0, skip = 0
    /// Binary additions: a node with k present inputs sums them with k - 1 adds.
    var adds = 0
    /// Convolutions on the longest present path from node 0 to node 3 (0 when only skips and pools).
    var depth = 0
    /// Node 3 has a value.
    var connected = false

    init(_ cell: NB201Cell) {
        var hasValue = [true] + [Bool](repeating: false, count: NB201Cell.nodes - 1)
        var inputs = [Int](repeating: 0, count: NB201Cell.nodes)
        var longest = [Int](repeating: 0, count: NB201Cell.nodes)
        // Edges are ordered by target node, so every source is settled before it is read.
        for (e, edge) in NB201Cell.edges.enumerated() where cell.ops[e] != .none && hasValue[edge.from] {
            let op = cell.ops[e]
            switch op {
            case .conv3x3: conv3x3 += 1
            case .conv1x1: conv1x1 += 1
            case .avgPool3x3: avgPool += 1
            case .skipConnect: skip += 1
            case .none: break
            }
            let through = longest[edge.from] + (op == .conv3x3 || op == .conv1x1 ? 1 : 0)
            longest[edge.to] = inputs[edge.to] == 0 ? through : max(longest[edge.to], through)
            inputs[edge.to] += 1
            hasValue[edge.to] = true
        }
        adds = inputs.reduce(0) { $0 + max($1 - 1, 0) }
        connected = hasValue[NB201Cell.nodes - 1]
        depth = connected ? longest[NB201Cell.nodes - 1] : 0
    }
}

extension NB201Cell {
    /// The whole network's cost on `skeleton`, in closed form, counted as `Graph.cost()` counts the NetIR graph
    /// a plain transcription of the benchmark's PyTorch network gives:
    ///
    /// * layers: ReLU-Conv-BN edges are three nodes (ReLU, Conv2d without bias, affine BatchNorm2d);
    ///   `avg_pool_3x3` one AvgPool2d(3, 1, 1); `skip_connect` one Identity; `none` edges and edges out of a
    ///   node without a value are absent; a node with k present inputs is k - 1 binary Adds; the reduction
    ///   block's shortcut is AvgPool2d(2, 2) then Conv1x1 and its sum one Add; the tail is BatchNorm2d, ReLU,
    ///   AdaptiveAvgPool2d(1), Flatten, Linear.
    /// * parameters: conv weights, BatchNorm scale and shift, the Linear's weight and bias (running statistics
    ///   are buffers, not parameters); every present edge counts, also one whose node does not reach the output.
    /// * FLOPs (NetIR's rule: 2 per multiply-add, 1 per element for ReLU, Add, pooled input element of a window,
    ///   global pooling input element, Linear bias; 2 per element for BatchNorm).
    /// * depth: Conv2d/Linear layers on the longest input-to-output path; width: the widest Conv2d/Linear
    ///   output (max(4 x channels, classes)); activations: floats of every layer output per image.
    ///
    /// A disconnected cell (node 3 without a value) outputs zeros: its present edges are still counted (they
    /// run), but it has no output layer, so nothing after it is on a path from the input: depth counts only
    /// the layers after the last cell (the Linear).
    public func networkCost(_ skeleton: NB201Skeleton) -> NetworkCost {
        let shape = NB201CellShape(self)
        var parameters = 0, flops = 0, activations = 0
        var side = skeleton.imageSize
        var c = skeleton.channels
        // Stem: Conv2d(3, C, 3, padding 1, no bias), BatchNorm2d(C).
        var n = c * side * side
        parameters += 27 * c + 2 * c
        flops += 2 * n * 27 + 2 * n
        activations += 2 * n
        var depth = 1
        for stage in 0..<3 {
            if stage > 0 {
                // Reduction C -> 2C, side -> side / 2 (n' = n / 2): conv_a (stride 2) and conv_b, shortcut.
                let inN = n
                let pooled = c * (side / 2) * (side / 2)
                let outC = 2 * c
                side /= 2
                n = outC * side * side
                parameters += 9 * c * outC + 2 * outC + 9 * outC * outC + 2 * outC + c * outC
                flops += inN + 2 * n * 9 * c + 2 * n        // ReLU, conv_a, BN
                flops += n + 2 * n * 9 * outC + 2 * n       // ReLU, conv_b, BN
                flops += pooled * 4 + 2 * n * c             // AvgPool2d(2, 2), Conv1x1
                flops += n                                  // Add
                activations += inN + 2 * n + 3 * n + pooled + n + n
                c = outC
                depth += 2
            }
            let perCell = NB201Cell.cellCost(shape, channels: c, elements: n)
            parameters += skeleton.cellsPerStage * perCell.parameters
            flops += skeleton.cellsPerStage * perCell.flops
            activations += skeleton.cellsPerStage * perCell.activations
            depth = shape.connected ? depth + skeleton.cellsPerStage * shape.depth : 0
        }
        // Tail: BatchNorm2d, ReLU, AdaptiveAvgPool2d(1), Flatten, Linear(C, classes).
        let k = skeleton.classes
        parameters += 2 * c + c * k + k
        flops += 2 * n + n + n + 2 * c * k + k
        activations += n + n + c + c + k
        return NetworkCost(parameters: parameters, flops: flops, depth: depth + 1, width: max(c, k),
                           activations: activations)
    }

    /// One cell's parameters, FLOPs and activations at `channels` channels and `elements` = C x H x W.
    static func cellCost(_ s: NB201CellShape, channels c: Int, elements n: Int) -> (parameters: Int, flops: Int, activations: Int) {
        let parameters = s.conv3x3 * (9 * c * c + 2 * c) + s.conv1x1 * (c * c + 2 * c)
        let flops = s.conv3x3 * (n + 18 * n * c + 2 * n) + s.conv1x1 * (n + 2 * n * c + 2 * n) + s.avgPool * 9 * n + s.adds * n
        let activations = (3 * (s.conv3x3 + s.conv1x1) + s.avgPool + s.skip + s.adds) * n
        return (parameters, flops, activations)
    }
}
