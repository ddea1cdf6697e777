import Foundation

/// One operation on an edge of a NAS-Bench-201 cell, named as the benchmark names it.
public enum NB201Op: String, CaseIterable, Codable, Sendable {
    case none
    case skipConnect = "skip_connect"
    /// ReLU, 1x1 convolution, BatchNorm.
    case conv1x1 = "nor_conv_1x1"
    /// ReLU, 3x3 convolution, BatchNorm.
    case conv3x3 = "nor_conv_3x3"
    /// 3x3 average pooling, stride 1, padding 1.
    case avgPool3x3 = "avg_pool_3x3"
}

/// Why a cell string, a table or a network is not what NAS-Bench-201 describes.
public struct NB201Error: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A NAS-Bench-201 cell: a DAG on four nodes where node j sums one operation applied to each earlier node.
/// The six edges are kept in the benchmark's order, (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2), which
/// is also the order of its cell string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
public struct NB201Cell: Hashable, Codable, Sendable, CustomStringConvertible {
    public static let nodes = 4
    /// (to, from) per edge, in string order.
    public static let edges: [(to: Int, from: Int)] = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
    /// 5^6: every cell of the space.
    public static let count = 15_625

    public private(set) var ops: [NB201Op]

    public init(ops: [NB201Op]) {
        precondition(ops.count == Self.edges.count, "a NAS-Bench-201 cell has six edges")
        self.ops = ops
    }

    /// Parses `|nor_conv_3x3~0|+|skip_connect~0|none~1|+|...|`; spaces around the string are ignored.
    public init(string: String) throws(NB201Error) {
        let text = string.trimmingCharacters(in: .whitespacesAndNewlines)
        let stages = text.split(separator: "+", omittingEmptySubsequences: false)
        guard stages.count == Self.nodes - 1 else {
            throw NB201Error("'\(text)' is not a NAS-Bench-201 cell string: expected 3 '+'-separated nodes, found \(stages.count)")
        }
        var ops: [NB201Op] = []
        for (j, stage) in stages.enumerated() {
            guard stage.hasPrefix("|"), stage.hasSuffix("|"), stage.count >= 2 else {
                throw NB201Error("node \(j + 1) of '\(text)' must be written |op~i|...|")
            }
            let items = stage.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
            guard items.count == j + 1 else {
                throw NB201Error("node \(j + 1) of '\(text)' must have \(j + 1) input edge(s), found \(items.count)")
            }
            for (i, item) in items.enumerated() {
                let parts = item.split(separator: "~", omittingEmptySubsequences: false)
                guard parts.count == 2, let op = NB201Op(rawValue: String(parts[0])) else {
                    let names = NB201Op.allCases.map(\.rawValue).joined(separator: ", ")
                    throw NB201Error("'\(item)' in '\(text)' is not op~input with op one of \(names)")
                }
                guard Int(parts[1]) == i else {
                    throw NB201Error("edge '\(item)' of node \(j + 1) in '\(text)' must come from node \(i)")
                }
                ops.append(op)
            }
        }
        self.init(ops: ops)
    }

    /// The benchmark's cell string.
    public var description: String {
        var s = ""
        var e = 0
        for j in 1..<Self.nodes {
            if j > 1 { s += "+" }
            s += "|"
            for i in 0..<j {
                s += "\(ops[e].rawValue)~\(i)|"
                e += 1
            }
        }
        return s
    }

    /// The cell's position in 0..<15625 (edge ops as base-5 digits, first edge most significant).
    public var index: Int { ops.reduce(0) { $0 * 5 + NB201Op.allCases.firstIndex(of: $1)! } }

    public init(index: Int) {
        precondition((0..<Self.count).contains(index), "cell index out of range")
        var digits: [NB201Op] = []
        var n = index
        for _ in 0..<Self.edges.count {
            digits.append(NB201Op.allCases[n % 5])
            n /= 5
        }
        self.init(ops: digits.reversed())
    }

    /// The operation on the edge from node `from` into node `to`.
    public func op(to: Int, from: Int) -> NB201Op {
        ops[Self.edges.firstIndex { $0.to == to && $0.from == from }!]
    }

    /// The cell with edge `edge` set to `op`.
    public func with(edge: Int, _ op: NB201Op) -> NB201Cell {
        var copy = ops
        copy[edge] = op
        return NB201Cell(ops: copy)
    }

    /// The 24 cells one edge away.
    public var neighbours: [NB201Cell] {
        Self.edges.indices.flatMap { e in NB201Op.allCases.filter { $0 != ops[e] }.map { with(edge: e, $0) } }
    }

    /// One edge changed to another operation, uniformly (NAS-Bench-201's usual mutation).
    public func mutated(rng: inout SearchRandom) -> NB201Cell {
        let e = rng.below(Self.edges.count)
        let others = NB201Op.allCases.filter { $0 != ops[e] }
        return with(edge: e, others[rng.below(others.count)])
    }

    /// True when some path of non-`none` edges leads from the input (node 0) to the output (node 3);
    /// otherwise the cell outputs zeros and the network cannot learn through it.
    public var isConnected: Bool { live[Self.nodes - 1] }

    /// Per node: reachable from the input through non-`none` edges.
    public var live: [Bool] {
        var reach = [true] + [Bool](repeating: false, count: Self.nodes - 1)
        for (e, edge) in Self.edges.enumerated() where ops[e] != .none && reach[edge.from] { reach[edge.to] = true }
        return reach
    }

    public static var all: [NB201Cell] { (0..<count).map(NB201Cell.init(index:)) }

    /// Uniformly random cell.
    public static func random(rng: inout SearchRandom) -> NB201Cell { NB201Cell(index: rng.below(count)) }
}
