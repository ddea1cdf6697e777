/// LLMatic's instructions as edits of a NAS-Bench-201 cell, for the rule mutator: the instruction says what
/// kind of edge change to make ("add convolutional layer" sets an edge to a 3x3 convolution), the seeded
/// generator says where. An instruction that has nothing to act on (no convolution left to delete) falls back
/// to a uniform one-edge change, so every edit returns a cell different from its parent.
extension NB201Cell {
    /// The edited cell and a note for the log (`edge 3<-1: none -> nor_conv_3x3`).
    public func edited(by instruction: MutationInstruction, rng: inout SearchRandom) -> (NB201Cell, String) {
        let target: (from: Set<NB201Op>, to: [NB201Op], edges: Int)
        switch instruction {
        case .addLayer: target = ([.none, .skipConnect], [.conv1x1, .conv3x3, .avgPool3x3], 1)
        case .deleteLayer: target = ([.conv1x1, .conv3x3, .avgPool3x3], [.none, .skipConnect], 1)
        case .improve, .addDropout, .addRecurrent: target = (Set(NB201Op.allCases), NB201Op.allCases, 1)
        case .shrink: target = ([.conv3x3, .conv1x1, .avgPool3x3], [.none, .skipConnect, .conv1x1], 2)
        case .grow: target = ([.none, .skipConnect, .avgPool3x3, .conv1x1], [.conv3x3], 2)
        case .addLinear, .addNormalization: target = (Set(NB201Op.allCases).subtracting([.conv1x1]), [.conv1x1], 1)
        case .addConvolution: target = (Set(NB201Op.allCases).subtracting([.conv3x3]), [.conv3x3], 1)
        case .addPooling: target = (Set(NB201Op.allCases).subtracting([.avgPool3x3]), [.avgPool3x3], 1)
        case .addResidual: target = (Set(NB201Op.allCases).subtracting([.skipConnect]), [.skipConnect], 1)
        case .addResiduals: target = (Set(NB201Op.allCases).subtracting([.skipConnect]), [.skipConnect], 2)
        }
        var cell = self
        var notes: [String] = []
        for _ in 0..<target.edges {
            let candidates = cell.ops.indices.filter { target.from.contains(cell.ops[$0]) }
            guard let e = rng.pick(candidates) else { break }
            let choices = target.to.filter { $0 != cell.ops[e] }
            guard let op = rng.pick(choices) else { break }
            notes.append("edge \(Self.edges[e].to)<-\(Self.edges[e].from): \(cell.ops[e].rawValue) -> \(op.rawValue)")
            cell = cell.with(edge: e, op)
        }
        if cell == self {
            cell = mutated(rng: &rng)
            let e = cell.ops.indices.first { cell.ops[$0] != ops[$0] }!
            notes = ["edge \(Self.edges[e].to)<-\(Self.edges[e].from): \(ops[e].rawValue) -> \(cell.ops[e].rawValue) (\(instruction) had nothing to act on)"]
        }
        return (cell, notes.joined(separator: "; "))
    }

    /// Crossover: each edge from one parent or the other, uniformly; a child equal to a parent gets one
    /// more uniform edge change so that it is new.
    public static func crossover(_ a: NB201Cell, _ b: NB201Cell, rng: inout SearchRandom) -> NB201Cell {
        var child = NB201Cell(ops: zip(a.ops, b.ops).map { rng.chance(0.5) ? $0 : $1 })
        if child == a || child == b { child = child.mutated(rng: &rng) }
        return child
    }
}
