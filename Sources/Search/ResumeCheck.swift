// What `--resume` checks before it touches a run. The event log is the run's memory: replaying it rebuilds the
// archives. A missing or damaged log used to replay as an empty run, which then started over, overwrote
// archives.json and candidate 0 and orphaned every earlier candidate. Now such a log is an error that says what
// to do, and `--rebuild-log` rebuilds it from the candidates' own meta.json files. Children that were in flight
// when a run was killed (a folder with net.py and prompt.txt but no line in the log) are logged as interrupted.
import Foundation

/// The `interrupted` line of events.jsonl: a child whose folder exists but which never finished (the run was
/// killed while it was being made or trained). Its folder is kept; replay ignores the line.
public struct InterruptedRecord: Codable, Sendable {
    public var type = "interrupted"
    public var id: Int
    /// The files the child left in its folder.
    public var files: [String]
    public var time: String
}

/// The `rebuilt` line that starts a log rebuilt by `--rebuild-log`: where its candidate lines came from.
public struct RebuiltLogRecord: Codable, Sendable {
    public var type = "rebuilt"
    public var candidates: Int
    /// Where the damaged log was moved (nil when there was none).
    public var damagedLog: String?
    public var time: String
}

public enum ResumeCheck {
    /// Throws, with what to do, when the run's event log cannot be trusted: it is missing, a complete line of
    /// it is not an event, or a candidate that finished (it has meta.json) has no line in it. A torn last line
    /// (a kill mid-write) is expected and fine.
    public static func verify(_ directory: RunDirectory) throws(SearchError) {
        let log = directory.eventsPath
        let finished = finishedCandidates(directory)
        let advice = "Run `llmatic search --resume \(directory.root) --rebuild-log` to rebuild it from the "
            + "\(finished.count) candidates' meta.json files (the old log is kept beside it), or start a new run with another --out."
        guard let data = FileManager.default.contents(atPath: log) else {
            throw .directory(.notARun("\(log) is missing, so the run cannot be replayed. \(advice)"))
        }
        var logged = Set<Int>()
        var lineNumber = 0
        var start = data.startIndex
        let decoder = RunJSON.decoder()
        while let end = data[start...].firstIndex(of: 10) {
            lineNumber += 1
            let line = data[start..<end]
            start = end + 1
            guard let event = try? decoder.decode(RunEvent.self, from: line) else {
                throw .directory(.notARun("\(log): line \(lineNumber) is damaged (not a run event). \(advice)"))
            }
            if case .candidate(let r) = event { logged.insert(r.id) }
        }
        let missing = finished.keys.filter { !logged.contains($0) }.sorted()
        if !missing.isEmpty {
            let list = missing.prefix(5).map(String.init).joined(separator: ", ") + (missing.count > 5 ? ", ..." : "")
            throw .directory(.notARun("\(log) lacks \(missing.count) finished candidate(s) (\(list)): it was cut short or replaced. \(advice)"))
        }
    }

    /// Replaces the event log by one rebuilt from every candidate's meta.json (the record of a finished child,
    /// as the log holds it), in the order the run applied them. The old log, if any, is moved to
    /// `events.jsonl.damaged` (or `.damaged.2`, ...). Returns the number of candidates recovered.
    @discardableResult
    public static func rebuildLog(_ directory: RunDirectory) throws(SearchError) -> Int {
        let records = finishedCandidates(directory).values.sorted { ($0.generation, $0.id) < ($1.generation, $1.id) }
        let log = directory.eventsPath
        var damaged: String?
        if FileManager.default.fileExists(atPath: log) {
            var target = log + ".damaged"
            var n = 1
            while FileManager.default.fileExists(atPath: target) { n += 1; target = log + ".damaged.\(n)" }
            do { try FileManager.default.moveItem(atPath: log, toPath: target) } catch {
                throw .directory(.io(path: log, message: "cannot move it to \(target): \(error.localizedDescription)"))
            }
            damaged = target
        }
        var lines = [try line(RebuiltLogRecord(candidates: records.count, damagedLog: damaged, time: CandidateRecord.now()))]
        for record in records { lines.append(try line(record)) }
        do { try AtomicWrite.write(Array(lines.joined().utf8), to: log) } catch { throw .directory(error) }
        return records.count
    }

    /// Logs every candidate folder that has no line in the log yet (a child in flight when the run stopped) as
    /// interrupted, once; returns their numbers. Call after `verify` (or `rebuildLog`), before the run resumes.
    @discardableResult
    public static func logInterrupted(_ directory: RunDirectory) throws(SearchError) -> [Int] {
        var known = Set<Int>()
        for line in EventLog.read(LoggedID.self, from: directory.eventsPath) where line.type == "candidate" || line.type == "interrupted" {
            known.insert(line.id)
        }
        let orphans = directory.candidateFolders().filter { !known.contains($0) }
        guard !orphans.isEmpty else { return [] }
        do {
            let log = try EventLog(path: directory.eventsPath)
            for id in orphans {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.candidateFolder(id)))?.sorted() ?? []
                try log.append(InterruptedRecord(id: id, files: files, time: CandidateRecord.now()))
            }
            log.sync()
        } catch {
            throw .directory(error)
        }
        return orphans
    }

    /// The `type` and `id` of a log line, whatever else it holds.
    private struct LoggedID: Decodable {
        var type: String
        var id: Int
    }

    /// Candidates whose meta.json decodes, by number (a folder without one was in flight).
    static func finishedCandidates(_ directory: RunDirectory) -> [Int: CandidateRecord] {
        var result: [Int: CandidateRecord] = [:]
        for id in directory.candidateFolders() {
            let meta = directory.candidateFile(id, .meta)
            guard FileManager.default.fileExists(atPath: meta),
                  let record = try? directory.readJSON(CandidateRecord.self, from: meta), record.id == id else { continue }
            result[id] = record
        }
        return result
    }

    /// One log line as `EventLog.append` writes it (sorted keys, non-finite numbers as strings).
    static func line<T: Encodable>(_ value: T) throws(SearchError) -> String {
        let encoder = RunJSON.encoder([.sortedKeys])
        do { return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n" } catch {
            throw .data("cannot encode a log line: \(error)")
        }
    }
}
