import NetIR

/// A per-channel bias over `batch` samples of `channels` planes of `spatial` elements.
public struct BiasGeometry: Hashable, Codable, Sendable {
    public var batch, channels, spatial: Int
    public init(batch: Int, channels: Int, spatial: Int) { self.batch = batch; self.channels = channels; self.spatial = spatial }
    public var count: Int { batch * channels * spatial }
}

/// ConvTranspose2d composed from the convolution kernels every backend has. With `g` the geometry of the adjoint
/// Conv2d (from the transposed layer's output shape to its input shape, the same weight tensor):
/// forward `y = conv2dBackwardData(g)(x, W)` then `channelBias` in place; backward `dx = conv2d(g)(dy, W)`,
/// `dW = conv2dBackwardFilter(g)(input: dy, output gradient: x)` and `dB = channelBiasBackward(dy)`.
extension PlanBuilder {
    func transposedGeometry(_ i: Int) -> (conv: ConvGeometry, bias: BiasGeometry) {
        let node = graph.nodes[i]
        let x = shapes[node.inputs[0]], y = shapes[i]
        guard case .convTranspose2d(let a) = node.layer else {
            return (ConvGeometry(batch: batch, input: y, output: x, attributes: Conv2dAttributes(inChannels: 1, outChannels: 1, kernel: Pair(1))),
                    BiasGeometry(batch: batch, channels: y.channels, spatial: y.spatial))
        }
        return (ConvGeometry(batch: batch, input: y, output: x, attributes: a.adjoint),
                BiasGeometry(batch: batch, channels: y.channels, spatial: y.spatial))
    }

    func convTransposeForward(_ i: Int, x: TensorRef, y: TensorRef) -> [Instruction] {
        let node = graph.nodes[i]
        let (g, b) = transposedGeometry(i)
        var program = [Instruction(.conv2dBackwardData(g), inputs: [x, parameter(node, "weight")], outputs: [y], node: node.name)]
        let bias = parameter(node, "bias")
        if bias.isPresent { program.append(Instruction(.channelBias(b), inputs: [y, bias], outputs: [y], node: node.name)) }
        return program
    }

    /// `dx` is nil when the input needs no gradient; `parametersAccumulate` when the module's gradients already
    /// hold another call's contribution.
    mutating func convTransposeBackward(_ i: Int, x: TensorRef, dy: TensorRef, dx: (TensorRef, Bool)?,
                                        parametersAccumulate: Bool) -> [Instruction] {
        let node = graph.nodes[i]
        let (g, b) = transposedGeometry(i)
        let w = parameter(node, "weight"), bias = parameter(node, "bias")
        var program = [Instruction(.conv2dBackwardFilter(g), inputs: [dy, x], outputs: [gradient(of: w), .absent],
                                   accumulate: parametersAccumulate, node: node.name)]
        if bias.isPresent {
            program.append(Instruction(.channelBiasBackward(b), inputs: [dy], outputs: [gradient(of: bias)],
                                       accumulate: parametersAccumulate, node: node.name))
        }
        if let (dx, accumulate) = dx {
            // The forward convolution overwrites its output; a second contribution goes through a temporary.
            let target = accumulate ? newTensor(dx.count) : dx
            program.append(Instruction(.conv2d(g, activation: nil), inputs: [dy, w, .absent], outputs: [target], node: node.name))
            if accumulate { program.append(Instruction(.copy, inputs: [target], outputs: [dx], accumulate: true, node: node.name)) }
        }
        return program
    }
}
