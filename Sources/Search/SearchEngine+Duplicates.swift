import Foundation
import NetIR

/// The `duplicate` line of events.jsonl: a child whose cell this run had already looked up in a results table.
/// It is not applied to the archives and does not count as an evaluation (so `evaluations` counts distinct
/// cells); `RunEvent` reads it as `.other`, and replay leaves out the candidate line it names.
public struct DuplicateRecord: Codable, Sendable {
    public var type = "duplicate"
    public var id: Int
    public var cell: String
    public var time: String
}

extension SearchEngine {
    /// Generations in a row that may find only cells already looked up before the run stops (a table that is
    /// exhausted, or a search stuck on one cell, would otherwise loop forever).
    static let maxGenerationsWithoutNewCells = 200

    /// Candidate ids the log marks as duplicates.
    static func duplicateIDs(_ path: String) -> Set<Int> {
        Set(EventLog.read(DuplicateRecord.self, from: path).filter { $0.type == "duplicate" }.map(\.id))
    }

    /// Cells the logged, counted candidates looked up (to recognise repeats after a resume).
    static func queriedCells(_ path: String) -> Set<String> {
        let duplicates = duplicateIDs(path)
        return Set(EventLog.read(RunEvent.self, from: path).compactMap { event -> String? in
            guard case .candidate(let r) = event, !duplicates.contains(r.id) else { return nil }
            return r.metrics?.benchmark?.cell
        })
    }

    /// True (and logged as a duplicate, meta.json saying so) when the record's table lookup repeats one this
    /// run already made; false, remembering its cell, otherwise. Called in candidate order.
    func skipIfDuplicate(_ record: CandidateRecord) -> Bool {
        guard let cell = record.metrics?.benchmark?.cell, record.failure == nil else { return false }
        guard !queriedCells.insert(cell).inserted else { return false }
        let line = DuplicateRecord(id: record.id, cell: cell, time: CandidateRecord.now())
        do { try log.append(line) } catch { warn("\(error)") }
        var meta = record
        meta.type = "duplicate"
        meta.note = "duplicate of a cell already looked up (\(cell)); not counted: " + (record.note ?? "")
        try? directory.writeJSON(meta, to: directory.candidateFile(record.id, .meta))
        directory.remove(directory.candidateFile(record.id, .weights))
        onStatus?(status(last: "#\(record.id) \(record.operation): duplicate cell, not counted"))
        return true
    }

    /// The archive's best cell on NAS-Bench-201 runs: the table's answer, else read back from its source.
    func bestCell() -> String? {
        if let lookup = bestBenchmark() { return lookup.cell }
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
