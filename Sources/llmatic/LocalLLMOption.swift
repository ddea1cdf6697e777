// `search --llm`: the language model served by scripts/llm-server on this machine, found through its state file,
// instead of an endpoint given by hand with --llm-url and --model.
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

    /// On `--resume` with `--llm`: the server may have restarted on another port since the run began.
    static func refresh(_ config: inout SearchConfig, _ args: ParsedArguments) throws {
        guard args.flag("llm") else { return }
        guard config.mutator.llm != nil else { throw UsageError("--llm: this run was started with the rule mutator, which a resume keeps") }
        let server = try LocalLLMServer.current()
        config.mutator.llm?.baseURL = server.url
        config.mutator.llm?.model = args.string("model") ?? server.model
    }
}
