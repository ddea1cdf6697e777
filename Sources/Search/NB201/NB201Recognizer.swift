import NetCode
import NetIR

/// Reads a network back into its NAS-Bench-201 cell, from the IR (so names, formatting, helper classes and the
/// way sums are written do not matter), or says precisely why it is outside the space.
///
/// The skeleton is found along the chain of nodes every path from input to output passes through (immediate
/// post-dominators): stem (Conv3x3 no bias + BN), two reduction blocks, the head (BN, ReLU, global average pool,
/// flatten, Linear). Each stage between them must be `cellsPerStage` copies of one cell. A cell's computation is
/// written as a formal sum of operations (ReLU->Conv(1x1|3x3, no bias)->BN, AvgPool2d(3, 1, 1,
/// count_include_pad=False)) applied to sums, `x` being the cell's input; additions are flattened and skip
/// connections vanish, so every way of writing the same computation gives the same key. Several cells of the
/// space compute the same thing (a skip edge 1<-0 makes node 1 the input itself, so `op~1` and `op~0` on the
/// next nodes coincide; edges that cannot change the output are dropped, see `NB201Network`): the recogniser
/// answers the lowest-index cell of the benchmark with that computation, its `representative`.
public struct NB201Recognizer: Sendable {
    public var cellsPerStage: Int
    /// Channels of the first stage (the stem's output).
    public var channels: Int

    public init(cellsPerStage: Int = NB201Network.defaultCellsPerStage, channels: Int = NB201Network.defaultChannels) {
        self.cellsPerStage = cellsPerStage; self.channels = channels
    }

    /// Parses `source` with NetCode (a `SourceError` when it is not a network we can read) and recognises it
    /// (an `NB201Error` when the network is outside the space).
    public func cell(source: String, file: String, input: TensorShape) throws -> NB201Cell {
        try cell(in: try NetworkSource.parse(source, file: file, input: input).graph)
    }

    public func cell(in graph: Graph) throws(NB201Error) -> NB201Cell {
        var reader = SkeletonReader(graph: graph, cellsPerStage: cellsPerStage, channels: channels)
        return try reader.read()
    }

    /// The cell the recogniser answers for the code of `cell` (nil when the cell has no code form).
    public static func representative(of cell: NB201Cell) -> NB201Cell? {
        guard cell.isConnected else { return nil }
        return representatives[CellSum.key(of: cell.canonical)]
    }

    /// Computation key -> lowest-index cell with it, over the cells that have a code form.
    static let representatives: [String: NB201Cell] = {
        var table: [String: NB201Cell] = [:]
        for cell in NB201Cell.all where cell.isConnected && cell.canonical == cell {
            let key = CellSum.key(of: cell)
            if table[key] == nil { table[key] = cell }
        }
        return table
    }()
}

/// Formal sums of a cell's operations: atom id -> multiplicity, id -1 being the cell's input. `key` writes a sum
/// as a tree (`2*x+1*c3(1*x)`: twice the input plus one 3x3 convolution of it), `canonicalKey` as a labelled
/// graph that also keeps which operations share an input.
struct CellSum {
    static let input = -1
    var atoms: [Int: (kind: String, argument: [Int: Int])] = [:]
    private var atomKeys: [Int: String] = [:]

    static func kind(_ op: NB201Op) -> String {
        switch op {
        case .conv1x1: return "c1"
        case .conv3x3: return "c3"
        case .avgPool3x3: return "p"
        case .none, .skipConnect: return ""
        }
    }

    mutating func key(_ sum: [Int: Int]) -> String {
        guard !sum.isEmpty else { return "0" }
        return sum.map { id, count in "\(count)*\(atomKey(id))" }.sorted().joined(separator: "+")
    }

    mutating func atomKey(_ id: Int) -> String {
        if id == Self.input { return "x" }
        if let k = atomKeys[id] { return k }
        guard let atom = atoms[id] else { return "?" }
        let k = "\(atom.kind)(\(key(atom.argument)))"
        atomKeys[id] = k
        return k
    }

    /// The computation's canonical form. The tree key alone (`key`) would merge two operations applied to one
    /// shared value with the same two operations applied to two equal but distinct values, so the atoms are
    /// labelled in the order of their tree keys (every order of equal ones tried) and the graph is written with
    /// the labels; the smallest writing is the key. Equal keys <=> the same computation up to renaming.
    mutating func canonicalKey(_ output: [Int: Int]) -> String {
        var reachable: [Int] = []
        var seen = Set<Int>()
        var stack = Array(output.keys)
        while let id = stack.popLast() {
            guard id != Self.input, seen.insert(id).inserted, let atom = atoms[id] else { continue }
            reachable.append(id)
            stack += atom.argument.keys
        }
        var tree: [Int: String] = [:]
        for id in reachable { tree[id] = atomKey(id) }
        var groups: [[Int]] = []
        for id in reachable.sorted(by: { (tree[$0] ?? "", $0) < (tree[$1] ?? "", $1) }) {
            if let first = groups.last?.first, tree[first] == tree[id] { groups[groups.count - 1].append(id) } else { groups.append([id]) }
        }
        let atoms = self.atoms
        func write(_ order: [Int]) -> String {
            var label: [Int: Int] = [Self.input: -1]
            for (i, id) in order.enumerated() { label[id] = i }
            func sum(_ s: [Int: Int]) -> String {
                s.map { (label[$0.key] ?? -2, $0.value) }.sorted { $0 < $1 }.map { "\($0.0)*\($0.1)" }.joined(separator: ",")
            }
            return order.map { "\(atoms[$0]?.kind ?? "?")(\(sum(atoms[$0]?.argument ?? [:])))" }.joined(separator: ";") + "=" + sum(output)
        }
        var best: String?
        var order: [Int] = []
        func place(_ g: Int) {
            guard g < groups.count else {
                let w = write(order)
                if best.map({ w < $0 }) ?? true { best = w }
                return
            }
            for p in Self.permutations(groups[g]) {
                order += p
                place(g + 1)
                order.removeLast(p.count)
            }
        }
        place(0)
        return best ?? "=0"
    }

    static func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i in
            permutations(Array(items[..<i] + items[(i + 1)...])).map { [items[i]] + $0 }
        }
    }

    /// The key of a cell's output, built from its edges (atom ids are edge indices).
    static func key(of cell: NB201Cell) -> String {
        var algebra = CellSum()
        var nodes: [[Int: Int]] = [[input: 1]]
        for to in 1..<NB201Cell.nodes {
            var sum: [Int: Int] = [:]
            for from in 0..<to {
                let e = NB201Cell.edges.firstIndex { $0.to == to && $0.from == from }!
                switch cell.ops[e] {
                case .none: continue
                case .skipConnect: sum.merge(nodes[from], uniquingKeysWith: +)
                case let op:
                    algebra.atoms[e] = (kind(op), nodes[from])
                    sum[e, default: 0] += 1
                }
            }
            nodes.append(sum)
        }
        return algebra.canonicalKey(nodes[NB201Cell.nodes - 1])
    }
}

/// One pass over one graph: finds the skeleton and the cell, records every node it explains.
private struct SkeletonReader {
    let graph: Graph
    let cellsPerStage: Int
    let channels: Int
    let live: [Bool]
    var chain: [Int] = []
    var position: [Int: Int] = [:]
    var explained = Set<Int>()

    init(graph: Graph, cellsPerStage: Int, channels: Int) {
        self.graph = graph; self.cellsPerStage = cellsPerStage; self.channels = channels
        live = graph.live
    }

    func fail(_ message: String) -> NB201Error { NB201Error("not a NAS-Bench-201 network: \(message)") }

    func describe(_ i: Int) -> String {
        let node = graph.nodes[i]
        return "'\(node.name)' (\(node.layer.typeName))" + (node.location.map { " at \($0)" } ?? "")
    }

    /// The only input of node `i`.
    func input(_ i: Int) -> Int { graph.nodes[i].inputs.first ?? 0 }

    mutating func read() throws(NB201Error) -> NB201Cell {
        guard cellsPerStage >= 1 else { throw fail("cells per stage must be at least 1") }
        buildChain()
        let headInput = try readHead()
        let stemOutput = try readStem()
        var reductions: [(input: Int, output: Int, nodes: [Int])] = []
        for (p, node) in chain.enumerated() where p > 0 {
            let c = channels << reductions.count
            if let r = readReduction(at: node, input: chain[p - 1], inChannels: c) { reductions.append(r); explained.formUnion(r.nodes) }
        }
        let stages = NB201Network.stages
        guard reductions.count == stages - 1 else {
            throw fail("expected \(stages - 1) reduction blocks (AvgPool2d(2)+Conv1x1 shortcut beside ReLU-Conv3x3/s2-BN, ReLU-Conv3x3-BN, summed) between \(stages) stages, found \(reductions.count)")
        }
        let bounds = [(stemOutput, reductions[0].input), (reductions[0].output, reductions[1].input), (reductions[1].output, headInput)]
        var cells: [NB201Cell] = []
        for (s, (from, to)) in bounds.enumerated() {
            cells.append(try readStage(s, from: from, to: to, channels: channels << s))
        }
        guard cells.allSatisfy({ $0 == cells[0] }) else {
            throw fail("the stages hold different cells (\(cells.map(\.description).joined(separator: ", "))); every cell of the network must be the same")
        }
        explained.insert(0)
        if let stray = graph.nodes.indices.first(where: { live[$0] && !explained.contains($0) }) {
            throw fail("layer \(describe(stray)) is not part of the skeleton or of a cell")
        }
        return cells[0]
    }

    /// Immediate post-dominators of the live nodes, and the chain of them from the input to the output.
    mutating func buildChain() {
        var consumers = [[Int]](repeating: [], count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() where live[i] {
            for j in Set(node.inputs) { consumers[j].append(i) }
        }
        var ipdom = [Int](repeating: -1, count: graph.nodes.count)
        func meet(_ a: Int, _ b: Int) -> Int {
            var a = a, b = b
            while a != b { if a < b { a = ipdom[a] } else { b = ipdom[b] } }
            return a
        }
        for v in stride(from: graph.output - 1, through: 0, by: -1) where live[v] && !consumers[v].isEmpty {
            ipdom[v] = consumers[v].dropFirst().reduce(consumers[v][0], meet)
        }
        chain = [0]
        while let last = chain.last, last != graph.output, ipdom[last] > last { chain.append(ipdom[last]) }
        for (p, node) in chain.enumerated() { position[node] = p }
    }

    /// Linear <- flatten <- AdaptiveAvgPool2d(1) <- ReLU <- BatchNorm2d; returns the BatchNorm's input.
    mutating func readHead() throws(NB201Error) -> Int {
        let out = graph.output
        let c = channels << (NB201Network.stages - 1)
        guard case .linear(let inFeatures, _, true) = graph.nodes[out].layer, inFeatures == c else {
            throw fail("the output must be Linear(\(c), classes) with bias, not \(describe(out))")
        }
        let flat = input(out), pool = input(flat), relu = input(pool), bn = input(relu)
        guard graph.nodes[flat].layer == .flatten, graph.nodes[pool].layer == .adaptiveAvgPool2d(outHeight: 1, outWidth: 1),
              graph.nodes[relu].layer == .activation(.relu), isBatchNorm(bn, c) else {
            throw fail("the classifier must read BatchNorm2d(\(c)) -> ReLU -> AdaptiveAvgPool2d(1) -> flatten, found \(describe(bn)) -> \(describe(relu)) -> \(describe(pool)) -> \(describe(flat))")
        }
        explained.formUnion([out, flat, pool, relu, bn])
        return input(bn)
    }

    /// Conv2d(in, channels, 3, padding 1, no bias) -> BatchNorm2d on the input; returns the BatchNorm.
    mutating func readStem() throws(NB201Error) -> Int {
        guard chain.count > 2, isConv(chain[1], graph.inputShape.channels, channels, kernel: 3, stride: 1),
              input(chain[1]) == 0, isBatchNorm(chain[2], channels), input(chain[2]) == chain[1] else {
            throw fail("the stem must be Conv2d(\(graph.inputShape.channels), \(channels), 3, padding=1, bias=False) -> BatchNorm2d(\(channels)) on the input")
        }
        explained.formUnion([chain[1], chain[2]])
        return chain[2]
    }

    /// The residual reduction block ending in the Add at `node`, or nil when `node` is not one.
    func readReduction(at node: Int, input x: Int, inChannels c: Int) -> (input: Int, output: Int, nodes: [Int])? {
        guard graph.nodes[node].layer == .add, graph.nodes[node].inputs.count == 2 else { return nil }
        let ins = graph.nodes[node].inputs
        for (short, main) in [(ins[0], ins[1]), (ins[1], ins[0])] {
            let pool = input(short)
            // Without padding, count_include_pad does not change the average.
            guard isConv(short, c, 2 * c, kernel: 1, stride: 1), case .avgPool2d(let a) = graph.nodes[pool].layer,
                  a.kernel == Pair(2), a.stride == Pair(2), a.padding == Pair(0), input(pool) == x else { continue }
            let convB = input(main), reluB = input(convB), bnA = input(reluB), convA = input(bnA), reluA = input(convA)
            guard isBatchNorm(main, 2 * c), isConv(convB, 2 * c, 2 * c, kernel: 3, stride: 1),
                  graph.nodes[reluB].layer == .activation(.relu), isBatchNorm(bnA, 2 * c),
                  isConv(convA, c, 2 * c, kernel: 3, stride: 2), graph.nodes[reluA].layer == .activation(.relu),
                  input(reluA) == x else { continue }
            return (x, node, [node, short, pool, main, convB, reluB, bnA, convA, reluA])
        }
        return nil
    }

    func isBatchNorm(_ i: Int, _ c: Int) -> Bool {
        guard case .batchNorm(let a) = graph.nodes[i].layer else { return false }
        return a.features == c && a.dimensions == 2 && a.affine
    }

    /// Conv2d(cin, cout, k, stride, padding k/2, no bias, no groups or dilation).
    func isConv(_ i: Int, _ cin: Int, _ cout: Int, kernel: Int, stride: Int) -> Bool {
        guard case .conv2d(let a) = graph.nodes[i].layer else { return false }
        return a.inChannels == cin && a.outChannels == cout && a.kernel == Pair(kernel) && a.stride == Pair(stride)
            && a.padding == Pair(kernel / 2) && a.dilation == Pair(1) && a.groups == 1 && !a.bias
    }

    /// `cellsPerStage` copies of one cell from chain node `from` to chain node `to`.
    mutating func readStage(_ s: Int, from: Int, to: Int, channels c: Int) throws(NB201Error) -> NB201Cell {
        guard let start = position[from], let end = position[to], start <= end else {
            throw fail("stage \(s + 1) is not a chain of cells between its neighbours")
        }
        try checkLayers(after: from, upTo: to, channels: c, stage: s)
        let place = "stage \(s + 1) (\(c) channels)"
        if start == end {
            // Cells that are the identity leave nothing in the graph; any count of them is the same network.
            var algebra = CellSum()
            guard let identity = NB201Recognizer.representatives[algebra.canonicalKey([CellSum.input: 1])] else { throw fail("\(place) is empty") }
            return identity
        }
        var lastError = "it is not \(cellsPerStage) copies of one cell"
        for first in (start + 1)...end {
            let cell: NB201Cell, firstNodes: Set<Int>
            do throws(NB201Error) { (cell, firstNodes) = try readCell(input: chain[start], output: chain[first], channels: c) } catch {
                lastError = error.message
                continue
            }
            var nodes = firstNodes
            var at = first
            var count = 1
            while count < cellsPerStage, at < end {
                guard let next = ((at + 1)...end).first(where: { q in
                    guard let next = try? readCell(input: chain[at], output: chain[q], channels: c), next.0 == cell else { return false }
                    nodes.formUnion(next.1)
                    return true
                }) else { break }
                at = next
                count += 1
            }
            if count == cellsPerStage && at == end {
                explained.formUnion(nodes)
                return cell
            }
        }
        throw fail("\(place) is not \(cellsPerStage) copies of one NAS-Bench-201 cell (\(lastError))")
    }

    /// Every live layer inside a stage is one a cell may hold, so a foreign layer is named as such.
    func checkLayers(after from: Int, upTo to: Int, channels c: Int, stage s: Int) throws(NB201Error) {
        guard from < to else { return }
        for i in (from + 1)...to where live[i] {
            switch graph.nodes[i].layer {
            case .add, .identity, .activation(.relu): continue
            case .batchNorm where isBatchNorm(i, c): continue
            case .conv2d where isConv(i, c, c, kernel: 1, stride: 1) || isConv(i, c, c, kernel: 3, stride: 1): continue
            case .avgPool2d(let a) where a.kernel == Pair(3) && a.stride == Pair(1) && a.padding == Pair(1):
                guard !a.countIncludePad else {
                    throw fail("\(describe(i)) in stage \(s + 1) counts the padding in its average; avg_pool_3x3 is AvgPool2d(3, stride=1, padding=1, count_include_pad=False)")
                }
            default:
                throw fail("\(describe(i)) in stage \(s + 1) is not a cell operation; a cell edge is none, skip_connect, nor_conv_1x1 (ReLU, Conv2d(\(c), \(c), 1, bias=False), BatchNorm2d), nor_conv_3x3 (the same with a 3x3 kernel, padding 1) or avg_pool_3x3 (AvgPool2d(3, stride=1, padding=1, count_include_pad=False))")
            }
        }
    }

    /// The cell computing chain node `output` from chain node `input`, and the nodes it covers.
    func readCell(input x: Int, output: Int, channels c: Int) throws(NB201Error) -> (NB201Cell, Set<Int>) {
        var algebra = CellSum()
        var sums: [Int: [Int: Int]] = [:]
        var nodes = Set<Int>()
        func sum(_ v: Int, depth: Int) throws(NB201Error) -> [Int: Int] {
            if v == x { return [CellSum.input: 1] }
            guard v > x else { throw NB201Error("\(describe(v)) reads from before the cell's input") }
            if let s = sums[v] { return s }
            let node = graph.nodes[v]
            var result: [Int: Int] = [:]
            switch node.layer {
            case .add:
                for i in node.inputs { result.merge(try sum(i, depth: depth), uniquingKeysWith: +) }
            case .identity:
                result = try sum(input(v), depth: depth)
            case .batchNorm:
                let conv = input(v), relu = input(conv)
                guard isBatchNorm(v, c), graph.nodes[relu].layer == .activation(.relu) else {
                    throw NB201Error("\(describe(v)) is not the end of ReLU -> Conv2d -> BatchNorm2d(\(c))")
                }
                let op: NB201Op
                if isConv(conv, c, c, kernel: 1, stride: 1) { op = .conv1x1 } else if isConv(conv, c, c, kernel: 3, stride: 1) { op = .conv3x3 } else {
                    throw NB201Error("\(describe(conv)) is neither nor_conv_1x1's nor nor_conv_3x3's convolution")
                }
                guard depth < NB201Cell.nodes - 1 else { throw NB201Error("more than \(NB201Cell.nodes - 1) operations in a row") }
                algebra.atoms[v] = (CellSum.kind(op), try sum(input(relu), depth: depth + 1))
                result = [v: 1]
                nodes.formUnion([conv, relu])
            case .avgPool2d(let a) where a.kernel == Pair(3) && a.stride == Pair(1) && a.padding == Pair(1) && !a.countIncludePad:
                guard depth < NB201Cell.nodes - 1 else { throw NB201Error("more than \(NB201Cell.nodes - 1) operations in a row") }
                algebra.atoms[v] = (CellSum.kind(.avgPool3x3), try sum(input(v), depth: depth + 1))
                result = [v: 1]
            default:
                throw NB201Error("\(describe(v)) is not a cell operation")
            }
            sums[v] = result
            nodes.insert(v)
            return result
        }
        let outputSum = try sum(output, depth: 0)
        guard let cell = NB201Recognizer.representatives[algebra.canonicalKey(outputSum)] else {
            throw NB201Error("the cell ending at \(describe(output)) computes \(algebra.key(outputSum)), which no NAS-Bench-201 cell computes (x: the cell's input, c3/c1: ReLU-Conv-BN, p: avg_pool_3x3)")
        }
        return (cell, nodes)
    }
}
