import Foundation

/// One exported network.
public struct ExportedNetwork: Sendable {
    public var candidate: Int
    public var accuracy: Double
    public var source: String
    public var weights: String?
}

/// Copies the archive's best networks out of a run: `rank1_candidate000042.py` and `.safetensors` (the
/// refined weights of `--final-epochs` when present). The file
/// names are built from the rank and candidate number only, never from anything inside the source.
public enum Export {
    public static func best(_ directory: RunDirectory, top: Int, to folder: String) throws(RunDirectoryError) -> [ExportedNetwork] {
        let config = try directory.readJSON(SearchConfig.self, from: directory.configPath)
        var state = SearchState(config: config)
        _ = state.replay(EventLog.read(RunEvent.self, from: directory.eventsPath))
        try directory.makeFolder(folder)
        var result: [ExportedNetwork] = []
        for (rank, elite) in state.networks.ranked.prefix(max(top, 0)).enumerated() {
            let id = elite.payload.candidate
            guard let source = directory.read(directory.candidateFile(id, .source)) else { continue }
            let stem = folder + "/rank\(rank + 1)_candidate" + RunDirectory.folderName(id)
            try AtomicWrite.write(Array(source.utf8), to: stem + ".py")
            var weights: String? = nil
            // The weights after the final extra training when the run did some, else the search's own.
            let refined = directory.candidateFile(id, .refined)
            let path = directory.exists(refined) ? refined : directory.candidateFile(id, .weights)
            if let bytes = FileManager.default.contents(atPath: path) {
                try AtomicWrite.write(Array(bytes), to: stem + ".safetensors")
                weights = stem + ".safetensors"
            }
            result.append(ExportedNetwork(candidate: id, accuracy: elite.payload.accuracy, source: stem + ".py", weights: weights))
        }
        return result
    }
}
