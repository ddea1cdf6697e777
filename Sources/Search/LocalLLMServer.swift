import Foundation

/// The local model server that `scripts/llm-server start` runs (llama.cpp over the OpenAI API on 127.0.0.1), as
/// its state file describes it. `llmatic search --llm` and the real-server test find the endpoint this way.
public struct LocalLLMServer: Codable, Sendable, Equatable {
    /// Base URL up to and including `/v1`.
    public var url: String
    /// The name the server answers to.
    public var model: String
    public var modelFile: String?
    public var pid: Int32
    public var port: Int
    /// Slots: requests the server decodes at once.
    public var parallel: Int
    public var threads: Int?

    enum CodingKeys: String, CodingKey {
        case url, model, modelFile = "model_file", pid, port, parallel, threads
    }

    /// `$LLMATIC_LLM_STATE`, else `$XDG_CACHE_HOME/llmatic/llm-server.json`, else `~/.cache/llmatic/llm-server.json`
    /// (the rule scripts/llm-server follows when it writes the file).
    public static func statePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["LLMATIC_LLM_STATE"], !path.isEmpty { return path }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache").path
        return base + "/llmatic/llm-server.json"
    }

    /// The server the state file names, if its process is alive. Whether it answers is the client's business
    /// (a dead endpoint is retried and then logged per child like any other).
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(LocalLLMServerError) -> LocalLLMServer {
        let path = statePath(environment: environment)
        guard let data = FileManager.default.contents(atPath: path) else { throw .notStarted(statePath: path) }
        let server: LocalLLMServer
        do { server = try JSONDecoder().decode(LocalLLMServer.self, from: data) } catch {
            throw .unreadable(statePath: path, reason: "\(error)")
        }
        // Signal 0 checks that the process exists without touching it.
        guard server.pid > 0, kill(server.pid, 0) == 0 else { throw .notRunning(statePath: path, pid: server.pid) }
        return server
    }
}

public enum LocalLLMServerError: Error, CustomStringConvertible, Equatable {
    case notStarted(statePath: String)
    case unreadable(statePath: String, reason: String)
    case notRunning(statePath: String, pid: Int32)

    public var description: String {
        switch self {
        case .notStarted(let path):
            return "no local model server: \(path) does not exist (start one with scripts/llm-server start)"
        case .unreadable(let path, let reason):
            return "\(path) is not a model server state file: \(reason)"
        case .notRunning(let path, let pid):
            return "the local model server in \(path) (pid \(pid)) is not running (restart it with scripts/llm-server start)"
        }
    }
}
