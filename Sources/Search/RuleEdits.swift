import NetIR

/// The edits the rule mutator makes. Each returns a note on what it did, or nil when the graph offers no
/// place for it; structural validity is checked afterwards by `GraphSurgery.repaired()`.
enum RuleEdit: CaseIterable {
    case addConvolution, addLinear, addPooling, addNormalization, addDropout, addResidual
    case deleteLayer, widenLayer, narrowLayer, enlargeKernel, scaleUp, scaleDown, stack

    static let maxChannels = 512
    static let maxFeatures = 4096

    func apply(_ g: inout GraphSurgery, _ rng: inout SearchRandom) -> String? {
        guard let shapes = g.shapes() else { return nil }
        switch self {
        case .addConvolution: return Self.addConvolution(&g, shapes, &rng)
        case .addLinear: return Self.addLinear(&g, shapes, &rng)
        case .addPooling: return Self.addPooling(&g, shapes, &rng)
        case .addNormalization: return Self.addNormalization(&g, shapes, &rng)
        case .addDropout: return Self.addDropout(&g, shapes, &rng)
        case .addResidual: return Self.addResidual(&g, shapes, &rng)
        case .deleteLayer: return Self.deleteLayer(&g, &rng)
        case .widenLayer: return Self.widenLayer(&g, &rng)
        case .narrowLayer: return Self.narrowLayer(&g, &rng)
        case .enlargeKernel: return Self.enlargeKernel(&g, shapes, &rng)
        case .scaleUp: return Self.scale(&g, by: rng.pick([2.0, 2.0, 3.0, 4.0]) ?? 2)
        case .scaleDown: return Self.scale(&g, by: rng.pick([0.5, 0.5, 0.25]) ?? 0.5)
        case .stack: return Self.stack(&g, shapes, &rng)
        }
    }

    // MARK: places

    /// The last Conv2d/Linear on the way to the output: the classifier, whose output size is fixed.
    static func classifier(_ g: GraphSurgery) -> Int? {
        var i = g.output
        while i > 0 {
            if g.nodes[i].layer.isWeighted { return i }
            guard g.nodes[i].inputs.count == 1 else { return nil }
            i = g.nodes[i].inputs[0]
        }
        return nil
    }

    /// Live image-shaped nodes (the input included) before the classifier: where convolutions and pools fit.
    static func imageNodes(_ g: GraphSurgery, _ shapes: [TensorShape]) -> [Int] {
        let live = g.graph.live
        let limit = classifier(g) ?? g.output
        return (0..<limit).filter { live[$0] && shapes[$0].isImage }
    }

    static func weighted(_ g: GraphSurgery, includingClassifier: Bool = false) -> [Int] {
        let c = classifier(g)
        let live = g.graph.live
        return g.nodes.indices.filter { live[$0] && g.nodes[$0].layer.isWeighted && (includingClassifier || $0 != c) }
    }

    /// Channel counts the rules choose from: around the current width, and powers of two.
    static func width(near c: Int, _ rng: inout SearchRandom) -> Int {
        let options = [c, 2 * c, 16, 32, 64, 128].map { min(max($0, 8), maxChannels) }
        return rng.pick(options) ?? 32
    }

    // MARK: edits

    static func addConvolution(_ g: inout GraphSurgery, _ shapes: [TensorShape], _ rng: inout SearchRandom) -> String? {
        guard let at = rng.pick(imageNodes(g, shapes)) else { return nil }
        let x = shapes[at]
        let out = width(near: x.channels, &rng)
        let k = rng.pick([3, 3, 3, 5, 1]) ?? 3
        let name = g.uniqueName("conv")
        let conv = Conv2dAttributes(inChannels: x.channels, outChannels: out, kernel: Pair(k), padding: Pair(k / 2))
        var last = g.insertAfter(at, name: name, layer: .conv2d(conv))
        // Mostly with BatchNorm: without it, stacked layers at the search's learning rate often collapse.
        let bn = rng.chance(0.7)
        if bn {
            last = g.insertAfter(last, name: g.uniqueName("bn"), layer: .batchNorm(BatchNormAttributes(features: out, dimensions: 2)))
        }
        last = g.insertAfter(last, name: g.uniqueName("relu"), layer: .activation(.relu))
        let unsqueezed = unsqueeze(&g, after: last, to: out)
        // On large maps, often downsample too, as a programmer adding a conv block would (keeps FLOPs in check);
        // always when the wider maps would reach the classifier's Linear as a huge flattened vector (a 128x28x28
        // feature map feeding Linear(100352, 512) breaks the parameter limit or diverges).
        var pools = 0, size = min(x.height, x.width)
        while size >= 8, pools == 0 && rng.chance(0.4) || flattenedFeatures(g) > maxFlattened {
            last = g.insertAfter(last, name: g.uniqueName("maxpool"), layer: .maxPool2d(Pool2dAttributes(kernel: Pair(2))))
            pools += 1
            size /= 2
        }
        let pooling = pools == 0 ? "" : " + MaxPool2d(2)" + (pools > 1 ? " x\(pools)" : "")
        return "added \(name): Conv2d(\(x.channels), \(out), \(k))\(bn ? " + BatchNorm" : "") + ReLU\(pooling) after '\(g.nodes[at].name)'"
            + (unsqueezed.map { "; widened \($0) to \(out)" } ?? "")
    }

    /// Convolutions narrower than this that a new block feeds are widened to the block's width.
    static let squeezeWidth = 4

    /// Widens the convolution that the block ending at `last` feeds (through BatchNorm, activations, pooling and
    /// dropout only) to `width` when it has fewer than `squeezeWidth` output channels; returns its name, or nil.
    /// Why: LLMatic's seed starts with a 1-channel 1x1 convolution, and a convolution added in front of it is
    /// squeezed back to one channel at full resolution before the classifier. Seen: `scripts/run` seed 2 (Zen 4)
    /// added Conv2d(1, 128, 5) after the input, made Conv2d(128, 1, 1) of the seed's layer, and spent its 280
    /// exploring seconds on the Linear layers behind it (best 0.8773 after 77 children; final 91.07% test).
    static func unsqueeze(_ g: inout GraphSurgery, after last: Int, to width: Int) -> String? {
        var i = last
        while true {
            let readers = g.consumers(of: i)
            guard readers.count == 1 else { return nil }
            i = readers[0]
            switch g.nodes[i].layer {
            case .conv2d(var a):
                guard a.outChannels < squeezeWidth, a.groups == 1, i != classifier(g) else { return nil }
                a.outChannels = width
                g.nodes[i].layer = .conv2d(a)
                return g.nodes[i].name
            case .batchNorm, .activation, .maxPool2d, .avgPool2d, .dropout, .dropout2d:
                continue
            default:
                return nil
            }
        }
    }

    /// Above this many features per sample, a convolution block also downsamples.
    static let maxFlattened = 8192

    /// The largest vector a Flatten makes in the (repaired) graph; 0 when there is none or shapes fail.
    static func flattenedFeatures(_ g: GraphSurgery) -> Int {
        guard let repaired = try? g.repaired(), let shapes = try? repaired.inferShapes() else { return 0 }
        return repaired.nodes.indices.filter { if case .flatten = repaired.nodes[$0].layer { return true } else { return false } }
            .map { shapes[$0].count }.max() ?? 0
    }

    static func addLinear(_ g: inout GraphSurgery, _ shapes: [TensorShape], _ rng: inout SearchRandom) -> String? {
        guard let c = classifier(g), case .linear = g.nodes[c].layer, g.nodes[c].inputs.count == 1 else { return nil }
        let at = g.nodes[c].inputs[0]
        guard shapes[at].rank == 1 else { return nil }
        let hidden = rng.pick([64, 128, 256, 512]) ?? 128
        let name = g.uniqueName("fc")
        let fc = g.insertAfter(at, name: name, layer: .linear(inFeatures: shapes[at].count, outFeatures: hidden, bias: true))
        g.insertAfter(fc, name: g.uniqueName("relu"), layer: .activation(.relu))
        return "added \(name): Linear(\(shapes[at].count), \(hidden)) + ReLU before the classifier"
    }

    static func addPooling(_ g: inout GraphSurgery, _ shapes: [TensorShape], _ rng: inout SearchRandom) -> String? {
        let places = imageNodes(g, shapes).filter { shapes[$0].height >= 4 && shapes[$0].width >= 4 }
        guard let at = rng.pick(places) else { return nil }
        let max = rng.chance(0.7)
        let pool = Pool2dAttributes(kernel: Pair(2), stride: Pair(2))
        let name = g.uniqueName(max ? "maxpool" : "avgpool")
        g.insertAfter(at, name: name, layer: max ? .maxPool2d(pool) : .avgPool2d(pool))
        return "added \(name): \(max ? "MaxPool2d" : "AvgPool2d")(2) after '\(g.nodes[at].name)'"
    }

    static func addNormalization(_ g: inout GraphSurgery, _ shapes: [TensorShape], _ rng: inout SearchRandom) -> String? {
        let places = weighted(g).filter { i in
            !g.consumers(of: i).contains { if case .batchNorm = g.nodes[$0].layer { return true } else { return false } }
        }
        guard let at = rng.pick(places) else { return nil }
        let s = shapes[at]
        let name = g.uniqueName("bn")
        g.insertAfter(at, name: name, layer: .batchNorm(BatchNormAttributes(features: s.channels, dimensions: s.isImage ? 2 : 1)))
        return "added \(name): BatchNorm\(s.isImage ? 2 : 1)d(\(s.channels)) after '\(g.nodes[at].name)'"
    }

    static func addDropout(_ g: inout GraphSurgery, _ shapes: [TensorShape], _ rng: inout SearchRandom) -> String? {
        let live = g.graph.live
        let limit = classifier(g) ?? g.output
        let places = (1..<max(limit, 1)).filter { i in
            guard live[i] else { return false }
            if case .activation = g.nodes[i].layer { return true }
            if case .flatten = g.nodes[i].layer { return true }
            return false
        }
        guard let at = rng.pick(places) else { return nil }
        let options: [Double] = shapes[at].isImage ? [0.1, 0.2, 0.25] : [0.2, 0.25, 0.3, 0.4, 0.5]
        let p = Float(rng.pick(options) ?? 0.25)
        let name = g.uniqueName("dropout")
        g.insertAfter(at, name: name, layer: .dropout(p: p))
        return "added \(name): Dropout(\(p)) after '\(g.nodes[at].name)'"
    }

    /// A skip connection from an earlier image node to a later one: identity when the shapes agree, else a
    /// 1x1 convolution (strided when the later node is an integer factor smaller) to match them.
    static func addResidual(_ g: inout GraphSurgery, _ shapes: [TensorShape], _ rng: inout SearchRandom) -> String? {
        let images = imageNodes(g, shapes)
        var pairs: [(Int, Int)] = []
        for a in images {
            for b in images where b > a + 1 && isReachable(g, from: a, to: b) {
                let sa = shapes[a], sb = shapes[b]
                guard sa.height % sb.height == 0, sa.width % sb.width == 0, sa.height / sb.height == sa.width / sb.width,
                      sa.height / sb.height <= 4 else { continue }
                pairs.append((a, b))
            }
        }
        guard let (a, b) = rng.pick(pairs) else { return nil }
        let sa = shapes[a], sb = shapes[b]
        var shortcut = a
        let readers = g.consumers(of: b)
        var position = b + 1
        var projected = false
        if sa != sb {
            let stride = sa.height / sb.height
            let proj = Conv2dAttributes(inChannels: sa.channels, outChannels: sb.channels, kernel: Pair(1), stride: Pair(stride))
            g.insert(Node(name: g.uniqueName("shortcut"), layer: .conv2d(proj), inputs: [a]), at: position)
            shortcut = position
            position += 1
            projected = true
        }
        let addName = g.uniqueName("residual")
        g.insert(Node(name: addName, layer: .add, inputs: [b, shortcut]), at: position)
        let shift = position - b
        for r in readers {
            let moved = r + shift
            g.nodes[moved].inputs = g.nodes[moved].inputs.map { $0 == b ? position : $0 }
        }
        if g.output == b { g.output = position }
        return "added \(addName): skip from '\(g.nodes[a].name)' to '\(g.nodes[b].name)'\(projected ? " with a 1x1 projection" : "")"
    }

    static func isReachable(_ g: GraphSurgery, from a: Int, to b: Int) -> Bool {
        var reach = [Bool](repeating: false, count: b + 1)
        reach[a] = true
        for i in (a + 1)...b where g.nodes[i].inputs.contains(where: { $0 <= b && reach[$0] }) { reach[i] = true }
        return reach[b]
    }

    static func deleteLayer(_ g: inout GraphSurgery, _ rng: inout SearchRandom) -> String? {
        let c = classifier(g)
        let live = g.graph.live
        let places = g.nodes.indices.filter { i in
            guard i > 0, i != c, i != g.output, live[i], g.nodes[i].inputs.count == 1 else { return false }
            switch g.nodes[i].layer {
            case .flatten, .input, .softmax, .logSoftmax: return false
            default: return true
            }
        }
        // Half the time a Conv2d/Linear, so the edit makes the network shallower, not only simpler.
        let weightedPlaces = places.filter { g.nodes[$0].layer.isWeighted }
        guard let at = rng.pick(!weightedPlaces.isEmpty && rng.chance(0.5) ? weightedPlaces : places) else { return nil }
        let name = g.nodes[at].name
        let type = g.nodes[at].layer.typeName
        g.bypass(at)
        g.pruneDead()
        return "deleted \(name) (\(type))"
    }

    /// Doubles (or so) one hidden layer; half the time the narrowest one, which is where a network starved of
    /// channels (LLMatic's 1-channel seed) gains most. Layers under 16 wide go straight to 16.
    static func widenLayer(_ g: inout GraphSurgery, _ rng: inout SearchRandom) -> String? {
        let layers = weighted(g)
        let narrowest = layers.min { outWidth(g.nodes[$0].layer) < outWidth(g.nodes[$1].layer) }
        guard let at = rng.chance(0.5) ? narrowest : rng.pick(layers) else { return nil }
        let width = outWidth(g.nodes[at].layer)
        let factor: Double = width < 16 ? Double(16) / Double(max(width, 1)) : (rng.pick([1.5, 2.0, 2.0]) ?? 2)
        return resize(&g, at, factor: factor).map { "widened \($0)" }
    }

    /// The opposite of `widenLayer`: halves (or so) one hidden layer, half the time the widest one, so the
    /// depth/width descriptor can move up and the FLOPs down by one layer's worth, not only the whole network's.
    static func narrowLayer(_ g: inout GraphSurgery, _ rng: inout SearchRandom) -> String? {
        let layers = weighted(g)
        let widest = layers.max { outWidth(g.nodes[$0].layer) < outWidth(g.nodes[$1].layer) }
        guard let at = rng.chance(0.5) ? widest : rng.pick(layers) else { return nil }
        return resize(&g, at, factor: rng.pick([0.5, 0.5, 0.67]) ?? 0.5).map { "narrowed \($0)" }
    }

    static func outWidth(_ layer: Layer) -> Int {
        switch layer {
        case .conv2d(let a): return a.outChannels
        case .linear(_, let o, _): return o
        default: return Int.max
        }
    }

    /// Every hidden Conv2d/Linear scaled by `factor` (the classifier keeps its class count).
    static func scale(_ g: inout GraphSurgery, by factor: Double) -> String? {
        let changed = weighted(g).compactMap { resize(&g, $0, factor: factor) }
        return changed.isEmpty ? nil : "scaled \(changed.count) layer(s) by \(factor): " + changed.joined(separator: ", ")
    }

    static func resize(_ g: inout GraphSurgery, _ i: Int, factor: Double) -> String? {
        switch g.nodes[i].layer {
        case .conv2d(var a):
            let out = bounded(a.outChannels, factor, lower: 4, upper: maxChannels)
            guard out != a.outChannels else { return nil }
            let old = a.outChannels
            if a.groups > 1 { a.groups = 1 }
            a.outChannels = out
            g.nodes[i].layer = .conv2d(a)
            return "\(g.nodes[i].name) \(old)->\(out)"
        case .linear(let inF, let o, let bias):
            let out = bounded(o, factor, lower: 8, upper: maxFeatures)
            guard out != o else { return nil }
            g.nodes[i].layer = .linear(inFeatures: inF, outFeatures: out, bias: bias)
            return "\(g.nodes[i].name) \(o)->\(out)"
        default:
            return nil
        }
    }

    /// `size * factor` within [lower, upper], never moving against the factor (shrinking a 1-channel layer
    /// must not widen it to the lower bound).
    static func bounded(_ size: Int, _ factor: Double, lower: Int, upper: Int) -> Int {
        let target = min(max(Int((Double(size) * factor).rounded()), lower), upper)
        return factor < 1 ? min(target, size) : max(target, size)
    }

    /// Deepens the network by a whole stage: the network up to a point where its map is already downsampled,
    /// then, in place of the rest, the whole network once more from its input (renamed, its first layer's input
    /// channels repaired to the map's), so its convolutions run a second time on the smaller map, as
    /// hand-designed CNNs repeat a stage at half the resolution. One added convolution at a time rarely climbs
    /// there: a lone layer on the path seldom beats its parent at a few hundred steps. Measured: `scripts/run`
    /// seed 7 (Zen 4) reached its best network by this move, made by a crossover (the front of one network up to
    /// its 16x14x14 map, then the whole of a related one; 6 convolutions, 0.9187 -> 0.9222 validation at 300
    /// steps, 0.9380 after promotion, the run's final, 93.38% test). A copied layer costs a quarter or less of its
    /// original's FLOPs (the seam's first convolution more, by its input channels), and the layers after the cut
    /// are dropped, so the child may be cheaper. Nil when the network never downsamples.
    static func stack(_ g: inout GraphSurgery, _ shapes: [TensorShape], _ rng: inout SearchRandom) -> String? {
        let whole = g
        let input = shapes[0]
        let cuts = GraphSurgery.cutPoints(g.nodes, output: g.output).filter {
            $0 > 0 && shapes[$0].isImage && shapes[$0].height < input.height && shapes[$0].width < input.width
        }
        guard let at = rng.pick(cuts) else { return nil }
        let name = g.nodes[at].name
        g.splice(whole, after: 0, onto: at)
        return "stacked the whole network again after '\(name)' (\(shapes[at]))"
    }

    /// A 1x1 or 3x3 convolution grows to 3x3 or 5x5, padded to keep its output size.
    static func enlargeKernel(_ g: inout GraphSurgery, _ shapes: [TensorShape], _ rng: inout SearchRandom) -> String? {
        let convs = weighted(g).filter { i in
            if case .conv2d(let a) = g.nodes[i].layer { return a.kernel.h < 5 && a.kernel.h == a.kernel.w && a.dilation == Pair(1) }
            return false
        }
        guard let at = rng.pick(convs), case .conv2d(var a) = g.nodes[at].layer else { return nil }
        let k = a.kernel.h + 2
        a.padding = Pair(a.padding.h + 1, a.padding.w + 1)
        a.kernel = Pair(k)
        g.nodes[at].layer = .conv2d(a)
        return "enlarged \(g.nodes[at].name) to \(k)x\(k)"
    }
}
