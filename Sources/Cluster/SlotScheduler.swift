/// Which worker slot trains the next child: a free slot never measured first (so every slot gets measured),
/// then the free slot with the highest measured speed; ties go to the lowest slot. A slow worker is thus
/// used only when every faster one is busy, and never holds up a generation's last child.
public struct SlotScheduler: Sendable {
    public let count: Int
    private var busy: Set<Int> = []
    /// Forward FLOPs x images per second of each slot's last child.
    private var speed: [Int: Double] = [:]

    public init(count: Int) { self.count = count }

    public var freeCount: Int { count - busy.count }

    /// Marks the chosen slot busy; nil when all are busy.
    public mutating func take() -> Int? {
        let chosen = (0..<count).filter { !busy.contains($0) }.min { a, b in
            let sa = speed[a] ?? .infinity, sb = speed[b] ?? .infinity
            return sa != sb ? sa > sb : a < b
        }
        if let chosen { busy.insert(chosen) }
        return chosen
    }

    public mutating func release(_ slot: Int) { busy.remove(slot) }

    public mutating func record(_ slot: Int, speed value: Double) {
        guard value.isFinite, value > 0 else { return }
        speed[slot] = value
    }
}
