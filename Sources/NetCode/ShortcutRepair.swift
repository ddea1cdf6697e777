import NetIR

/// A residual add whose two sides disagree in channels or (by an integer stride) in size: the skip (the earlier
/// of the two tensors) gets a 1x1 convolution without bias to the main path's shape, ResNet's projection
/// shortcut. The commonest fault of "add a residual connection" replies is `out + identity` after a layer that
/// changed the channel count or the size. PyTorch itself would broadcast a 1-channel skip; the projection includes
/// that case (all weights 1) and learns the rest. Nothing is done when the skip is the smaller one spatially.
public struct ShortcutRepair: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The new module's `state_dict` path (`shortcut1`).
    public var module: String
    /// The skip's shape and the main path's, [C, H, W].
    public var from: [Int]
    public var to: [Int]
    public var location: SourceLocation?

    public var description: String {
        let at = location.map { "\($0): " } ?? ""
        let shape = { (d: [Int]) in d.map(String.init).joined(separator: "x") }
        return "\(at)\(module) = 1x1 Conv2d projection of the residual skip (\(shape(from)) -> \(shape(to)))"
    }

    /// The stride of a 1x1 convolution that takes an image of `skip`'s size to `main`'s, if one does.
    static func stride(from skip: TensorShape, to main: TensorShape) -> Int? {
        (1...8).first { s in (skip.height - 1) / s + 1 == main.height && (skip.width - 1) / s + 1 == main.width }
    }
}

extension Interpreter {
    /// In repair mode, for an add of two images of different shapes: the inputs with the skip replaced by its
    /// projection (a new Conv2d node); nil when no projection fits.
    func projectedShortcut(_ inputs: [Int], graph g: inout GraphState, at e: Expr) -> [Int]? {
        guard repairInputSizes, inputs.count == 2 else { return nil }
        let (skip, main) = (min(inputs[0], inputs[1]), max(inputs[0], inputs[1]))
        let (s, m) = (g.shapes[skip], g.shapes[main])
        guard s.isImage, m.isImage, s != m, let stride = ShortcutRepair.stride(from: s, to: m) else { return nil }
        let name = g.synthetic("shortcut")
        let conv = Conv2dAttributes(inChannels: s.channels, outChannels: m.channels, kernel: Pair(1), stride: Pair(stride),
                                    bias: false)
        guard let v = try? g.append(Node(name: name, module: name, layer: .conv2d(conv), inputs: [skip], location: location(e)))
        else { return nil }
        shortcutRepairs.append(ShortcutRepair(module: name, from: s.dims, to: m.dims, location: location(e)))
        return inputs.map { $0 == skip ? v : $0 }
    }
}
