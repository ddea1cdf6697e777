// The run folder that `report` and `export` take as their one positional argument.
import Search

extension ParsedArguments {
    /// The search run named by the first positional argument; `usage` is shown when it is missing.
    func runFolder(usage: String) throws -> RunDirectory {
        guard let folder = positionals.first else { throw UsageError("give the run folder: \(usage)") }
        let directory = RunDirectory(folder)
        guard directory.exists(directory.configPath) else { throw Failure("\(folder) is not a search run (no config.json)") }
        return directory
    }
}
