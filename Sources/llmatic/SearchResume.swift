// `search --resume DIR`: what is checked, and repaired when asked, before a run continues. The rules live in
// Search (ResumeCheck); this is their order and what the user is told.
import Search

enum SearchResume {
    /// The resumed config must pass the command line's own checks; the event log must be whole (or be rebuilt
    /// with `--rebuild-log`); children that were in flight when the run stopped are logged as interrupted.
    static func prepare(_ directory: RunDirectory, config: SearchConfig, rebuildLog: Bool) throws {
        do { try config.validate() } catch { throw Failure("\(directory.configPath): \(error)") }
        if rebuildLog {
            let count = try ResumeCheck.rebuildLog(directory)
            print("rebuilt \(directory.eventsPath) from the meta.json of \(count) candidates (an old log is kept as events.jsonl.damaged)")
        }
        try ResumeCheck.verify(directory)
        let interrupted = try ResumeCheck.logInterrupted(directory)
        if !interrupted.isEmpty {
            let list = interrupted.map { "#\($0)" }.joined(separator: ", ")
            print("note: \(list) \(interrupted.count == 1 ? "was" : "were") in flight when the run stopped: logged as interrupted in events.jsonl (folders kept)")
        }
    }
}
