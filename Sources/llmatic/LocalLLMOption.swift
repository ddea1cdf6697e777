// `search --llm`: the language model served by scripts/llm-server on this machine, found through its state file,
// instead of an endpoint given by hand with --llm-url and --model.
import CPUBackend
import Search

enum LocalLLMOption {
    /// The endpoint the language-model options name: `--llm-url` with `--model`, or with `--llm` the local server's
    /// URL and model (`--model` may still rename it) and its slot count as the default concurrency. Nil: rules.
    static func endpoint(_ args: ParsedArguments) throws -> (url: String, model: String, concurrency: Int)? {
        let defaultConcurrency = 2
        if args.flag("llm") {
            guard args.string("llm-url") == nil else { throw UsageError("--llm and --llm-url exclude each other: --llm uses the server of scripts/llm-server") }
            let server = try LocalLLMServer.current()
            return (server.url, args.string("model") ?? server.model, max(1, server.parallel))
        }
        if let url = args.string("llm-url") {
            guard let model = args.string("model") else { throw UsageError("--llm-url needs --model") }
            return (url, model, defaultConcurrency)
        }
        if args.string("model") != nil { throw UsageError("--model needs --llm-url (or --llm)") }
        return nil
    }

    /// With `--llm` the model server decodes on this machine's cores while the trainer trains (fill-ins keep it
    /// busy), so by default the trainer takes only the cores the server leaves: llama.cpp's threads meet at a
    /// barrier after every layer, and one of them descheduled by a trainer thread stalls the whole reply
    /// (measured on 2 cores, 2 server threads beside a 2-thread trainer: 11 requests in a row unanswered for 120 s).
    /// Nil (all cores) without a local server or when its thread count is unknown.
    static func trainerThreads(_ args: ParsedArguments) -> Int? {
        guard args.flag("llm"), let server = try? LocalLLMServer.current(), let serverThreads = server.threads else { return nil }
        return max(1, CPUBackend.defaultThreads - serverThreads)
    }

    /// On `--resume` with `--llm`: the server may have restarted on another port since the run began.
    static func refresh(_ config: inout SearchConfig, _ args: ParsedArguments) throws {
        guard args.flag("llm") else { return }
        guard config.mutator.llm != nil else { throw UsageError("--llm: this run was started with the rule mutator, which a resume keeps") }
        let server = try LocalLLMServer.current()
        config.mutator.llm?.baseURL = server.url
        config.mutator.llm?.model = args.string("model") ?? server.model
    }
}
