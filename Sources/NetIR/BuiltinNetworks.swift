/// The networks the command line knows by name. Each adapts to the dataset's input shape and class count.
public enum BuiltinNetwork: String, CaseIterable, Sendable {
    /// LLMatic's seed network: Conv2d(C, 1, 1) -> ReLU -> flatten -> Linear(H*W, classes).
    case initial
    /// conv3x3 C->32, relu, maxpool2, conv3x3 32->64, relu, maxpool2, flatten, linear ->128, relu, linear 128->classes.
    case smallcnn
    /// CIFAR-style ResNet-8: 3x3 stem (16) + BN + ReLU, three basic blocks at 16, 32/s2, 64/s2 with 1x1
    /// projection shortcuts where the shape changes, global average pool, linear 64->classes.
    case resnet8

    public func graph(input: TensorShape, classes: Int = 10) throws -> Graph {
        var b = NetworkBuilder(input: input)
        switch self {
        case .initial:
            var x = try b.conv2d("conv1", b.input, out: 1, kernel: 1)
            x = try b.relu("relu", x)
            x = try b.flatten("flatten", x)
            let logits = try b.linear("fc1", x, out: classes)
            return try b.build(output: logits)
        case .smallcnn:
            var x = try b.conv2d("conv1", b.input, out: 32, kernel: 3, padding: 1)
            x = try b.maxPool("pool1", try b.relu("relu1", x), kernel: 2)
            x = try b.conv2d("conv2", x, out: 64, kernel: 3, padding: 1)
            x = try b.maxPool("pool2", try b.relu("relu2", x), kernel: 2)
            x = try b.flatten("flatten", x)
            x = try b.relu("relu3", try b.linear("fc1", x, out: 128))
            let logits = try b.linear("fc2", x, out: classes)
            return try b.build(output: logits)
        case .resnet8:
            var x = try b.conv2d("conv0", b.input, out: 16, kernel: 3, padding: 1, bias: false)
            x = try b.relu("relu0", try b.batchNorm("bn0", x))
            for (stage, (width, stride)) in [(16, 1), (32, 2), (64, 2)].enumerated() {
                x = try Self.basicBlock(&b, "s\(stage + 1)", x, width: width, stride: stride)
            }
            x = try b.flatten("flatten", try b.globalAvgPool("pool", x))
            let logits = try b.linear("fc", x, out: classes)
            return try b.build(output: logits)
        }
    }

    /// conv3x3/stride -> BN -> ReLU -> conv3x3 -> BN, plus the shortcut (identity, or 1x1 conv + BN when the
    /// shape changes), then ReLU. Names follow ../shared/peers/nets.py (`s2_conv1`, `s2_sc_bn`, ...).
    static func basicBlock(_ b: inout NetworkBuilder, _ p: String, _ x: NetworkBuilder.Value, width: Int,
                           stride: Int) throws -> NetworkBuilder.Value {
        var y = try b.conv2d("\(p)_conv1", x, out: width, kernel: 3, stride: stride, padding: 1, bias: false)
        y = try b.relu("\(p)_relu1", try b.batchNorm("\(p)_bn1", y))
        y = try b.batchNorm("\(p)_bn2", try b.conv2d("\(p)_conv2", y, out: width, kernel: 3, padding: 1, bias: false))
        var shortcut = x
        if stride != 1 || b.shape(of: x).channels != width {
            shortcut = try b.conv2d("\(p)_sc_conv", x, out: width, kernel: 1, stride: stride, bias: false)
            shortcut = try b.batchNorm("\(p)_sc_bn", shortcut)
        }
        return try b.relu("\(p)_relu2", try b.addValues("\(p)_add", y, shortcut))
    }
}
