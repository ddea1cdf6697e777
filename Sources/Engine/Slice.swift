import NetIR

/// A channel slice (`x[:, a:b]`, `chunk`, `split`) composed from existing ops, so that every backend runs it
/// without a kernel of its own. The input is split three ways along channels, [before, taken, after] (empty parts
/// left out), which is a Concat's geometry: the forward is that Concat's backward with only the taken part
/// present, and the gradient is the Concat itself of [zeros, dy, zeros] (through a temporary, then added, when
/// the input's gradient already holds another contribution).
extension PlanBuilder {
    /// The three-way split of node `i`'s input and the index of the part the slice takes. `inner` is the
    /// elements per channel (any rank: `[C]`, `[C, L]`, `[C, H, W]`).
    func sliceGeometry(_ i: Int) -> (geometry: ConcatGeometry, part: Int) {
        let x = shapes[graph.nodes[i].inputs[0]]
        guard case .slice(let start, let count) = graph.nodes[i].layer, let c = x.dims.first, c > 0 else {
            return (ConcatGeometry(batch: batch, spatial: 0, channels: []), 0)
        }
        var channels: [Int] = []
        if start > 0 { channels.append(start) }
        let part = channels.count
        channels.append(count)
        if start + count < c { channels.append(c - start - count) }
        return (ConcatGeometry(batch: batch, spatial: x.count / c, channels: channels), part)
    }

    /// y = x[:, start ..< start + count]: the taken part of the split.
    func sliceForward(_ i: Int, x: TensorRef, y: TensorRef) -> Instruction {
        let (g, part) = sliceGeometry(i)
        let outputs = g.channels.indices.map { $0 == part ? y : TensorRef.absent }
        return Instruction(.concatBackward(g, accumulate: outputs.map { _ in false }), inputs: [x], outputs: outputs,
                           node: graph.nodes[i].name)
    }

    /// dx (+)= dy placed at the slice's channels, zeros elsewhere.
    mutating func sliceBackward(_ i: Int, dy: TensorRef, dx: TensorRef, accumulate: Bool) -> [Instruction] {
        let (g, part) = sliceGeometry(i)
        let name = graph.nodes[i].name
        var program: [Instruction] = []
        var parts: [TensorRef] = []
        for (k, channels) in g.channels.enumerated() {
            if k == part { parts.append(dy); continue }
            let zeros = newTensor(g.batch * channels * g.spatial)
            program.append(Instruction(.fill(0), inputs: [], outputs: [zeros], node: name))
            parts.append(zeros)
        }
        let whole = accumulate ? newTensor(dx.count) : dx
        program.append(Instruction(.concat(g), inputs: parts, outputs: [whole], node: name))
        if accumulate { program.append(Instruction(.copy, inputs: [whole], outputs: [dx], accumulate: true, node: name)) }
        return program
    }
}
