import Foundation

/// The cells (as their representatives: one per distinct computation) a NAS-Bench-201 search has already made
/// or looked up, shared by the cell mutator and the table evaluator. The mutator draws again when an edit lands
/// on a seen cell and, when its edits keep landing there, takes a random unseen cell instead, as
/// `NB201Queries.queryNew` does in `bench-search`; without this a table search whose parents' neighbourhoods
/// are used up makes nothing but repeats (measured on cifar100.json, seed 0: 90 distinct cells, then 850
/// repeats without a new one).
public final class NB201SeenCells: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = Set<Int>()

    public init(_ cells: some Sequence<NB201Cell> = []) {
        for cell in cells { seen.insert((NB201Recognizer.representative(of: cell) ?? cell).index) }
    }

    public func contains(_ cell: NB201Cell) -> Bool {
        let key = (NB201Recognizer.representative(of: cell) ?? cell).index
        return lock.withLock { seen.contains(key) }
    }

    /// Marks the cell seen; false when it already was.
    @discardableResult
    public func claim(_ cell: NB201Cell) -> Bool {
        let key = (NB201Recognizer.representative(of: cell) ?? cell).index
        return lock.withLock { seen.insert(key).inserted }
    }

    /// A uniformly drawn connected cell not seen yet (bounded draws; nil when none was found).
    public func randomUnseen(rng: inout SearchRandom, draws: Int = 4096) -> NB201Cell? {
        for _ in 0..<draws {
            let cell = NB201Cell.random(rng: &rng)
            if cell.isConnected, !contains(cell) { return cell }
        }
        return nil
    }
}
