// `llmatic llm-yield`: how many of a model's replies would become new trainable children in a search, per prompt
// kind, measured on prompts made from real archive parents (the seed network and rule children of it).
import Foundation
import NetCode
import NetIR
import Search

enum LLMYieldCommand: Command {
    static let name = "llm-yield"
    static let summary = "send search prompts to a language model and count the replies that become new trainable children"

    static let kindNames = MutationInstruction.allCases.map(\.description) + ["crossover"]

    static let options: [OptionSpec] = [
        OptionSpec("llm-url", "URL", "OpenAI-compatible endpoint (default: the server of scripts/llm-server)"),
        OptionSpec("model", "M", "model name (default: the local server's)"),
        OptionSpec("prompts", "N", "prompts to send, the kinds in turn over the parents", default: "28"),
        OptionSpec("kinds", "LIST", "comma-separated prompt kinds (\(kindNames.joined(separator: ", ")))", default: "all"),
        OptionSpec("parents", "N", "parent networks: the seed network and N-1 rule children of it", default: "4"),
        OptionSpec("temperature", "T", "the prompt archive's temperature (LLMatic's 0.1-1.0), sent times --temperature-scale", default: "0.6"),
        OptionSpec("temperature-scale", "S", "as search --llm", default: "\(LLMConfig.smallModelTemperatureScale)"),
        OptionSpec("max-tokens", "N", "token limit per reply (as search --llm)", default: "\(LLMConfig.smallModelMaxTokens)"),
        OptionSpec("timeout", "S", "seconds per request", default: "300"),
        OptionSpec("concurrency", "N", "requests in flight (default: the local server's slots, else 2)"),
        OptionSpec("prompt-style", "STYLE", "paper: LLMatic's one-line instructions; focused: the parent's layers and one concrete edit (as search)", choices: LLMPrompt.Style.allCases.map(\.rawValue), default: "focused"),
        OptionSpec("revise-unchanged", nil, "send a reply that repeats its parent back once, asking for the change (as the search does)", default: "true"),
        OptionSpec("input", "CxHxW", "input image shape", default: "1x28x28"),
        OptionSpec("classes", "K", "classes", default: "10"),
        OptionSpec("seed", "S", "seeds the parents' rule edits and the requests", default: "0"),
        OptionSpec("out", "FILE", "write every trial and the table as JSON"),
        OptionSpec("json", nil, "print the table as one JSON object as the last line of stdout"),
    ]

    static var help: String {
        ArgumentParser.help(usage: "llmatic llm-yield [--llm-url URL --model M] [--prompts N] [--kinds LIST] [--json]",
                            summary: """
                            Makes N prompts exactly as `search` does (LLMPrompt) over real archive parents (the seed network and rule \
                            children of it), the kinds in turn, sends them, and judges each reply as a search judges a model's \
                            child: checks, repairs without the model, one second round with the model (the located error back, \
                            or the request to make the change when the reply repeats its parent), and whether the network is new. \
                            Prints one line per reply and a table per kind: replies, parsed as written, repaired without the \
                            model, second rounds, same as parent, new, invalid, seconds per reply. Nothing is trained.
                            """,
                            options: options,
                            notes: "examples:\n  scripts/llm-server start && llmatic llm-yield --prompts 28\n  llmatic llm-yield --llm-url http://127.0.0.1:8080/v1 --model m --kinds add-conv,delete-layer --json")
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try ArgumentParser.parse(arguments, options: options)
        if args.helpRequested {
            print(help)
            return 0
        }
        let input = try args.inputShape()
        let classes = try args.int("classes", default: 10, minimum: 2, maximum: SizeLimits.dimension)
        let count = try args.int("prompts", default: 28, minimum: 1, maximum: 100_000)
        let parentCount = try args.int("parents", default: 4, minimum: 1, maximum: 64)
        let seed = UInt64(try args.int("seed", default: 0, minimum: 0))
        let temperature = try args.double("temperature", default: 0.6, range: PromptRules.temperatureRange)
        let kinds = try parseKinds(args.string("kinds") ?? "all")
        let style = LLMPrompt.Style(rawValue: args.string("prompt-style") ?? "focused") ?? .focused

        let url: String, model: String, slots: Int
        if let given = args.string("llm-url") {
            guard let m = args.string("model") else { throw UsageError("--llm-url needs --model") }
            if let problem = LLMConfig.urlProblem(given) { throw UsageError("invalid value for --llm-url: it \(problem)") }
            (url, model, slots) = (given, m, 2)
        } else {
            let server = try LocalLLMServer.current()
            (url, model, slots) = (server.url, args.string("model") ?? server.model, max(1, server.parallel))
        }
        var config = LLMConfig(baseURL: url, model: model, timeoutSeconds: try args.double("timeout", default: 300, range: 1...36000),
                               retries: 1, concurrency: try args.int("concurrency", default: slots, minimum: 1, maximum: 64),
                               maxTokens: try args.int("max-tokens", default: LLMConfig.smallModelMaxTokens, minimum: 16, maximum: 1 << 20))
        let scale = try args.double("temperature-scale", default: LLMConfig.smallModelTemperatureScale, range: 0.01...2)
        config.temperatureScale = scale

        let codec = NetworkCodec.pytorch(input: input)
        let checker = CandidateChecker(codec: codec, classes: classes, limits: SearchLimits())
        let parents = try YieldParents.make(count: parentCount, input: input, classes: classes, seed: seed)
        var prompts: [YieldPrompt] = []
        for i in 0..<count {
            let kind = kinds[i % kinds.count]
            let p = (i + i / kinds.count) % parents.count
            let chosen = kind == .crossover ? [parents[p], parents[(p + 1) % parents.count]] : [parents[p]]
            prompts.append(YieldPrompt(operation: kind, parents: chosen.map(\.source),
                                       parentLabel: chosen.map(\.label).joined(separator: " x "), temperature: temperature,
                                       seed: SearchRandom(seed: seed, 0x1E1D, UInt64(i)).state))
        }
        let harness = ReplyYield(mutator: LLMMutator(client: LLMClient(config: config),
                                                     prompt: LLMPrompt(inputDescription: input.description, classes: classes, style: style)),
                                 checker: checker, input: input, reviseUnchanged: args.flag("revise-unchanged", default: true))
        let json = args.flag("json")
        let sent = prompts, inFlight = config.concurrency
        Console.error("llm-yield: \(count) prompts to \(model) at \(url), \(config.concurrency) in flight, temperature \(temperature) x \(scale), max \(config.maxTokens) tokens, \(style) prompts")
        let start = Date()
        let trials = try Blocking.wait {
            await withTaskGroup(of: (Int, YieldTrial).self) { group in
                var results = [YieldTrial?](repeating: nil, count: sent.count)
                var next = 0
                func add(_ group: inout TaskGroup<(Int, YieldTrial)>) {
                    let i = next
                    next += 1
                    group.addTask { (i, await harness.trial(sent[i])) }
                }
                while next < min(sent.count, inFlight) { add(&group) }
                while let (i, t) = await group.next() {
                    results[i] = t
                    Console.error(line(i, t))
                    if next < sent.count { add(&group) }
                }
                return results.compactMap { $0 }
            }
        }
        let wall = Date().timeIntervalSince(start)
        let table = YieldSummary.table(trials)
        let load = ProcessInfo.processInfo.loadAverages
        if !json { print(render(table, wall: wall, load: load)) }
        let report = YieldReport(model: model, url: url, temperature: temperature * scale, maxTokens: config.maxTokens,
                                 concurrency: config.concurrency, wallSeconds: wall, loadAverage: load,
                                 reviseUnchanged: harness.reviseUnchanged, promptStyle: style.rawValue, table: table, trials: trials)
        if let out = args.string("out") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: out))
        }
        if json {
            var brief = report
            brief.trials = []  // in --out
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(brief), as: UTF8.self))
        }
        return 0
    }

    static func parseKinds(_ text: String) throws -> [Variation] {
        if text == "all" { return MutationInstruction.allCases.map { .mutation($0) } + [.crossover] }
        let kinds = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !kinds.isEmpty else { throw UsageError("--kinds is empty") }
        return try kinds.map { name in
            guard let v = Variation(name: name), v != .seed else {
                throw UsageError("invalid value '\(name)' for --kinds" + ArgumentParser.suggestion(for: name, among: kindNames, prefix: "", kind: "kinds"))
            }
            return v
        }
    }

    static func line(_ i: Int, _ t: YieldTrial) -> String {
        var s = "  #\(i) \(t.kind) on \(t.parent): \(t.outcome.rawValue)"
        if t.repairedWithoutModel { s += ", repaired without the model" }
        if t.firstSameAsParent { s += ", first reply repeated the parent" }
        if let r = t.secondRound { s += ", second round \(r)" }
        s += String(format: ", %d replies, %.1f s, %d tokens", t.replies, t.seconds, t.completionTokens)
        if let e = t.error { s += ": " + String(e.prefix(160)).escapedForOneLine }
        return s
    }

    static func render(_ rows: [YieldSummary], wall: Double, load: [Double]) -> String {
        let header = ["kind", "prompts", "replies", "code", "parsed", "repaired", "same-1st", "2nd ok/run", "same", "new", "invalid", "no-reply", "new %", "usable %", "s/reply", "tok/reply"]
        var lines = [header]
        for r in rows {
            lines.append([r.kind, "\(r.prompts)", "\(r.replies)", "\(r.hadCode)", "\(r.parsedAsWritten)", "\(r.repairedWithoutModel)",
                          "\(r.firstSameAsParent)", "\(r.secondRoundsSucceeded)/\(r.secondRounds)", "\(r.sameAsParent)", "\(r.new)",
                          "\(r.invalid)", "\(r.noReply)", String(format: "%.0f", 100 * r.newShare), String(format: "%.0f", 100 * r.usableShare),
                          String(format: "%.1f", r.secondsPerReply),
                          String(format: "%.0f", r.replies > 0 ? Double(r.completionTokens) / Double(r.replies) : 0)])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        var text = lines.map { row in
            row.enumerated().map { c, cell in c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - cell.count) + cell }.joined(separator: "  ")
        }.joined(separator: "\n")
        text += String(format: "\n%.0f s wall, load average %.2f %.2f %.2f", wall, load[0], load[1], load[2])
        text += "\n(parsed: first reply passed as written; repaired: passed after the repairs without the model; same-1st: first"
        text += "\n reply repeated its parent; 2nd: second rounds that fixed the error or made the change; usable: new + same,"
        text += "\n what a search trains or skips as a duplicate)"
        return text
    }
}

/// The machine-readable result of `llm-yield`.
struct YieldReport: Codable {
    var model: String
    var url: String
    var temperature: Double
    var maxTokens: Int
    var concurrency: Int
    var wallSeconds: Double
    var loadAverage: [Double]
    var reviseUnchanged: Bool
    var promptStyle: String
    var table: [YieldSummary]
    var trials: [YieldTrial]
}

/// Parents as a search's archive has them: the seed network and rule children of it.
enum YieldParents {
    static let edits: [MutationInstruction] = [.addConvolution, .addNormalization, .addResidual, .shrink, .addDropout, .grow]

    static func make(count: Int, input: TensorShape, classes: Int, seed: UInt64) throws -> [(label: String, source: String)] {
        let codec = NetworkCodec.pytorch(input: input)
        let initial = codec.emit(try BuiltinNetwork.initial.graph(input: input, classes: classes))
        var parents = [(label: "initial", source: initial)]
        let rules = RuleMutator(codec: codec)
        var i = 0
        while parents.count < count, i < 8 * count {
            let edit = edits[i % edits.count]
            let base = parents[(i / edits.count) % parents.count]
            i += 1
            guard let child = try? rules.generateNow(MutationRequest(operation: .mutation(edit), parents: [base.source],
                                                                     temperature: 0.6, seed: SearchRandom(seed: seed, 0xFA7, UInt64(i)).state)),
                  !parents.contains(where: { $0.source == child.source }) else { continue }
            parents.append((label: "\(base.label)+\(edit)", source: child.source))
        }
        return parents
    }
}

extension ProcessInfo {
    /// The 1-, 5- and 15-minute load averages (zeros where unavailable).
    var loadAverages: [Double] {
        var l = [Double](repeating: 0, count: 3)
        return getloadavg(&l, 3) == 3 ? l : [0, 0, 0]
    }
}
