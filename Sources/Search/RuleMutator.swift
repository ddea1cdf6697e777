import NetIR

/// Reads and writes networks as PyTorch source. The search holds one of these so that the rule path and the
/// language-model path go through the very same parser and emitter.
public struct NetworkCodec: Sendable {
    public var input: TensorShape
    public var parse: @Sendable (_ source: String, _ file: String) throws -> Graph
    public var emit: @Sendable (_ graph: Graph) -> String

    public init(input: TensorShape, parse: @escaping @Sendable (String, String) throws -> Graph,
                emit: @escaping @Sendable (Graph) -> String) {
        self.input = input; self.parse = parse; self.emit = emit
    }
}

/// LLMatic's operators without a language model: each instruction becomes a seeded random edit of the IR
/// of the same kind, checked for shape validity and emitted as source.
public struct RuleMutator: Mutator {
    public let codec: NetworkCodec
    /// Tries per request before giving up: an edit can land where the shapes cannot be repaired.
    public var attempts: Int

    public init(codec: NetworkCodec, attempts: Int = 24) { self.codec = codec; self.attempts = attempts }

    public var name: String { "rules" }

    public func generate(_ request: MutationRequest) async throws(MutatorError) -> MutationOutput {
        try generateNow(request)
    }

    /// The synchronous core (the rules are cheap; no need to suspend).
    public func generateNow(_ request: MutationRequest) throws(MutatorError) -> MutationOutput {
        var parents: [Graph] = []
        for (i, source) in request.parents.enumerated() {
            do { parents.append(try codec.parse(source, "parent\(i).py")) } catch {
                throw .invalidParent("\(error)")
            }
        }
        guard !parents.isEmpty else { throw .invalidParent("no parent given") }
        var rng = SearchRandom(seed: request.seed, 0x2E1E)
        let (graph, note) = try Self.edit(parents, operation: request.operation, attempts: attempts, rng: &rng)
        let prompt = "rule mutator: \(request.operation) (\(promptText(request.operation)))\nedit: \(note)\n"
        return MutationOutput(source: codec.emit(graph), prompt: prompt, note: note)
    }

    func promptText(_ operation: Variation) -> String {
        switch operation {
        case .mutation(let m): return m.prompt
        case .crossover: return Variation.crossoverPrompt
        case .seed: return "seed network"
        }
    }

    /// The edited graph and a note. Every returned graph passes shape inference and keeps the parent's
    /// input and output shapes.
    static func edit(_ parents: [Graph], operation: Variation, attempts: Int,
                     rng: inout SearchRandom) throws(MutatorError) -> (Graph, String) {
        guard let parent = parents.first, let target = try? parent.inferShapes()[parent.output] else {
            throw .invalidParent("parent network does not pass shape inference")
        }
        if case .mutation(.addRecurrent) = operation {
            throw .notApplicable("recurrent layers have no counterpart in the IR (no RNN/LSTM/GRU)")
        }
        if case .seed = operation { return (parent, "seed network") }
        for _ in 0..<max(attempts, 1) {
            var g = GraphSurgery(parent)
            let note: String?
            switch operation {
            case .crossover:
                note = Crossover.splice(parent, parents.count > 1 ? parents[1] : parent, rng: &rng).map { g = $0.0; return $0.1 }
            case .mutation(let m):
                note = apply(m, &g, &rng)
            case .seed:
                note = nil
            }
            guard let note, let graph = try? g.repaired(), (try? graph.inferShapes()[graph.output]) == target else { continue }
            guard graph != parent else { continue }
            return (graph, note)
        }
        throw .notApplicable("no valid \(operation) edit found in \(attempts) tries")
    }

    /// One instruction's edit; nil when it found no place.
    static func apply(_ m: MutationInstruction, _ g: inout GraphSurgery, _ rng: inout SearchRandom) -> String? {
        switch m {
        case .addLayer:
            let e = rng.pick([RuleEdit.addConvolution, .addLinear, .addPooling, .addNormalization, .addDropout]) ?? .addConvolution
            return e.apply(&g, &rng)
        case .deleteLayer: return RuleEdit.deleteLayer.apply(&g, &rng)
        case .improve:
            // Both directions of each descriptor: deeper and shallower, wider and narrower, costlier and cheaper.
            let e = rng.pick([RuleEdit.addConvolution, .widenLayer, .widenLayer, .addNormalization, .addPooling,
                              .addResidual, .enlargeKernel, .addLinear, .narrowLayer, .deleteLayer]) ?? .addConvolution
            return e.apply(&g, &rng)
        case .shrink:
            return (rng.pick([RuleEdit.scaleDown, .scaleDown, .narrowLayer, .addPooling, .deleteLayer]) ?? .scaleDown).apply(&g, &rng)
        case .grow:
            if rng.chance(0.5) { return RuleEdit.scaleUp.apply(&g, &rng) }
            // A whole stage half the remaining time (`RuleEdit.stack`), else (or where it finds no place) two layers.
            if rng.chance(0.5), let note = RuleEdit.stack.apply(&g, &rng) { return note }
            let a = RuleEdit.addConvolution.apply(&g, &rng)
            let b = RuleEdit.addConvolution.apply(&g, &rng)
            return [a, b].compactMap { $0 }.joined(separator: "; ").nilIfEmpty
        case .addLinear: return RuleEdit.addLinear.apply(&g, &rng)
        case .addConvolution: return RuleEdit.addConvolution.apply(&g, &rng)
        case .addPooling: return RuleEdit.addPooling.apply(&g, &rng)
        case .addResidual: return RuleEdit.addResidual.apply(&g, &rng)
        case .addResiduals:
            let notes = (0..<(2 + rng.below(2))).compactMap { _ in RuleEdit.addResidual.apply(&g, &rng) }
            return notes.joined(separator: "; ").nilIfEmpty
        case .addDropout: return RuleEdit.addDropout.apply(&g, &rng)
        case .addNormalization: return RuleEdit.addNormalization.apply(&g, &rng)
        case .addRecurrent: return nil
        }
    }
}

/// Crossover by splicing: the front of one parent joined to the back of the other at a point where both
/// carry a tensor of the same rank (image or flat); `repaired()` then fixes the channel counts at the seam.
enum Crossover {
    static func splice(_ a: Graph, _ b: Graph, rng: inout SearchRandom) -> (GraphSurgery, String)? {
        guard let sa = try? a.inferShapes(), let sb = try? b.inferShapes() else { return nil }
        let cutsA = GraphSurgery.cutPoints(a.nodes, output: a.output)
        let cutsB = GraphSurgery.cutPoints(b.nodes, output: b.output)
        var options: [(Int, Int)] = []
        var exact: [(Int, Int)] = []
        for i in cutsA {
            for j in cutsB where sa[i].rank == sb[j].rank && (i > 0 || j > 0) {
                // Spatial sizes must allow the back half's layers; shape inference decides, but prefer equal sizes.
                options.append((i, j))
                if sa[i] == sb[j] { exact.append((i, j)) }
            }
        }
        let pool = !exact.isEmpty && rng.chance(0.7) ? exact : options
        guard let (i, j) = rng.pick(pool) else { return nil }
        var g = GraphSurgery(a)
        g.splice(GraphSurgery(b), after: j, onto: i)
        return (g, "front of the first parent up to '\(a.nodes[i].name)' (\(sa[i])) + back of the second after '\(b.nodes[j].name)' (\(sb[j]))")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
