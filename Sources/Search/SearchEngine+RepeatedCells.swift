import Foundation
import NetIR

/// The `repeated-cell` line of events.jsonl: a child whose NAS-Bench-201 cell this run had already looked up in
/// a results table (two differently written networks can be one cell, which the structural hash of
/// `DuplicateChildren` does not always see). It is not applied to the archives and does not count as an
/// evaluation, so `evaluations` counts distinct cells; `RunEvent` reads it as `.other`, and replay leaves out the
/// candidate line it names.
public struct RepeatedCellRecord: Codable, Sendable {
    public var type = "repeated-cell"
    public var id: Int
    public var cell: String
    /// The candidate that first looked the cell up.
    public var repeats: Int
    public var time: String
}

extension SearchEngine {
    /// Generations in a row that may find only cells already looked up before the run stops (a table that is
    /// exhausted, or a search stuck on one cell, would otherwise loop forever).
    static let maxGenerationsWithoutNewCells = 200

    /// Candidate ids the log marks as repeated cells.
    static func repeatedCellIDs(_ path: String) -> Set<Int> {
        Set(EventLog.read(RepeatedCellRecord.self, from: path).filter { $0.type == "repeated-cell" }.map(\.id))
    }

    /// Cells the logged, counted candidates looked up, with the candidate that did (to recognise repeats after
    /// a resume).
    public static func queriedCells(_ path: String) -> [String: Int] {
        let repeated = repeatedCellIDs(path)
        var cells: [String: Int] = [:]
        for event in EventLog.read(RunEvent.self, from: path) {
            guard case .candidate(let r) = event, !repeated.contains(r.id), let cell = r.metrics?.benchmark?.cell else { continue }
            if cells[cell] == nil { cells[cell] = r.id }
        }
        return cells
    }

    /// True (and logged, meta.json saying so) when the record's table lookup repeats one this run already made;
    /// false, remembering its cell, otherwise. Called in candidate order.
    func skipIfRepeatedCell(_ record: CandidateRecord) -> Bool {
        guard let cell = record.metrics?.benchmark?.cell, record.failure == nil else { return false }
        if queriedCells[cell] == nil {
            queriedCells[cell] = record.id
            return false
        }
        let first = queriedCells[cell] ?? record.id
        let line = RepeatedCellRecord(id: record.id, cell: cell, repeats: first, time: CandidateRecord.now())
        do { try log.append(line) } catch { warn("\(error)") }
        var meta = record
        meta.type = "repeated-cell"
        meta.note = "cell already looked up by #\(first) (\(cell)); not counted: " + (record.note ?? "")
        try? directory.writeJSON(meta, to: directory.candidateFile(record.id, .meta))
        directory.remove(directory.candidateFile(record.id, .weights))
        onStatus?(status(last: "#\(record.id) \(record.operation): cell of #\(first) again, not counted"))
        return true
    }

    /// The archive's best cell on NAS-Bench-201 runs: the table's answer (`lookup`, from `bestBenchmark()`), else
    /// read back from its source.
    func bestCell(_ lookup: BenchmarkLookup?) -> String? {
        if let lookup { return lookup.cell }
        guard let space = config.space, let best = state.networks.best?.payload,
              let source = directory.read(directory.candidateFile(best.candidate, .source)) else { return nil }
        return (try? space.recognizer.cell(source: source, file: "best.py", input: TensorShape(config.input)))?.description
    }

    /// The cell and table test accuracy of the archive's best network, when a table evaluated it.
    func bestBenchmark() -> BenchmarkLookup? {
        guard let best = state.networks.best?.payload,
              let record = try? directory.readJSON(CandidateRecord.self, from: directory.candidateFile(best.candidate, .meta)) else { return nil }
        return record.metrics?.benchmark
    }
}
