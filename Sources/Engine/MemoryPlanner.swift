/// A tensor in the arena and the instruction interval (inclusive) during which it holds a value.
public struct PlannedTensor: Hashable, Codable, Sendable {
    public var id: Int
    public var count: Int
    public var offset: Int
    public var firstUse: Int
    public var lastUse: Int
}

/// Places arena tensors by lifetime: tensors whose intervals overlap never share memory; others may.
/// Greedy best-fit over tensors sorted by size, largest first, the classic offset-assignment heuristic.
enum MemoryPlanner {
    /// Elements between tensors are rounded up to this many floats (64 bytes) so vector loads stay aligned.
    static let alignment = 16

    static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// `intervals[id] = (count, first, last)`; ids never used have count 0. Returns offsets and the arena size.
    static func place(_ intervals: [(count: Int, first: Int, last: Int)]) -> (offsets: [Int], size: Int) {
        var offsets = [Int](repeating: 0, count: intervals.count)
        let order = intervals.indices.filter { intervals[$0].count > 0 }
            .sorted { (intervals[$0].count, $1) > (intervals[$1].count, $0) }
        var placed: [Int] = []
        var size = 0
        for id in order {
            let me = intervals[id]
            let need = align(me.count)
            // Busy ranges of already placed tensors alive at the same time, sorted by offset.
            let busy = placed.filter { intervals[$0].first <= me.last && me.first <= intervals[$0].last }
                .map { (offsets[$0], offsets[$0] + align(intervals[$0].count)) }
                .sorted { $0.0 < $1.0 }
            var best: Int?
            var bestGap = Int.max
            var cursor = 0
            for (start, end) in busy {
                if start - cursor >= need && start - cursor < bestGap { best = cursor; bestGap = start - cursor }
                cursor = max(cursor, end)
            }
            let offset = best ?? cursor
            offsets[id] = offset
            size = max(size, offset + need)
            placed.append(id)
        }
        return (offsets, size)
    }
}
