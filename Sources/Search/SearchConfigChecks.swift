// The allowed values of every search setting, checked alike for a new run (the command line reads the same
// ranges) and for a config.json read back by `--resume`, which anyone can edit: a NaN learning rate or a
// billion niches there is refused before anything runs, exactly as on the command line.
import Foundation
import NetIR
import Train

extension SearchConfig {
    /// Niches per archive. Building them (k-means over 50 samples per niche) is quadratic in the count: on the
    /// 2-core development machine under load 100 niches took 0.5 s, 500 took 5 s, 1,000 22 s, 2,000 81 s. A run
    /// makes far fewer children than 500, so more niches would only stay empty.
    public static let maxNiches = 500
    /// Evaluations and generations: any real budget, and far from overflowing the counters.
    public static let maxCount = 1 << 40
    /// Children per generation, networks before selection starts, parents to draw from.
    public static let maxBatch = 10_000
    public static let learningRateRange: ClosedRange<Double> = 0...1e3
    public static let validationRange: ClosedRange<Double> = 0.001...0.9
    public static let warmupRange: ClosedRange<Double> = 0...1
    /// Seconds: `--time-budget` per candidate and `--time-limit` for the launch.
    public static let timeBudgetRange: ClosedRange<Double> = 1...1e7
    public static let timeLimitRange: ClosedRange<Double> = 1...1e8
    public static let llmTimeoutRange: ClosedRange<Double> = 1...3600
    public static let llmRetriesRange: ClosedRange<Int> = 0...100
    public static let llmConcurrencyRange: ClosedRange<Int> = 1...256

    /// Every setting within its range; the message names the command-line option and the config.json key.
    func validateValues() throws(SearchError) {
        func bad(_ what: String, _ key: String, _ rule: String, _ value: Any) -> SearchError {
            .invalidConfig("\(what) (\(key) in config.json) must be \(rule), got \(value)")
        }
        func int(_ v: Int, _ range: ClosedRange<Int>, _ what: String, _ key: String) throws(SearchError) {
            guard range.contains(v) else { throw bad(what, key, "in \(range.lowerBound)...\(range.upperBound)", v) }
        }
        func real(_ v: Double, _ range: ClosedRange<Double>, _ what: String, _ key: String) throws(SearchError) {
            guard v.isFinite, range.contains(v) else { throw bad(what, key, "in \(range.lowerBound)...\(range.upperBound)", v) }
        }
        if let e = evaluations { try int(e, 1...Self.maxCount, "--evaluations", "evaluations") }
        if let g = generations { try int(g, 0...Self.maxCount, "--generations", "generations") }
        try int(batch, 1...Self.maxBatch, "--batch", "batch")
        try int(niches, 1...Self.maxNiches, "--niches", "niches")
        try int(promptNiches, 1...Self.maxNiches, "prompt niches", "promptNiches")
        try int(initialNetworks, 1...Self.maxCount, "--initial", "initialNetworks")
        try int(selectionPool, 1...Self.maxBatch, "selection pool", "selectionPool")
        try real(mutationProbability, 0...1, "mutation probability", "mutationProbability")
        for (range, key) in [(descriptors.log10RatioRange, "descriptors.log10RatioRange"),
                             (descriptors.log10FlopsRange, "descriptors.log10FlopsRange")]
        where !(range.lowerBound.isFinite && range.upperBound.isFinite && range.lowerBound < range.upperBound) {
            throw bad("descriptor range", key, "finite with lower < upper", range)
        }
        if let c = nicheCentroids, c.count != niches || c.contains(where: { $0.count != 2 || !$0.allSatisfy { (0...1).contains($0) } }) {
            throw bad("niche centroids", "nicheCentroids", "\(niches) points (niches) in [0, 1]^2", "\(c.count) points")
        }
        try int(limits.maxParameters, 1...SizeLimits.tensorElements, "--max-params", "limits.maxParameters")
        try int(limits.maxFlops, 1...Int.max, "--max-flops", "limits.maxFlops")
        try int(limits.maxActivations, 1...SizeLimits.tensorElements, "--max-activations", "limits.maxActivations")
        try int(limits.maxSourceCharacters, 1...(1 << 30), "source limit", "limits.maxSourceCharacters")

        let t = training
        try int(t.epochs, 0...TrainingConfig.maxEpochs, "--epochs", "training.epochs")
        if let m = t.maxSteps { try int(m, 1...TrainingConfig.maxSteps, "--max-steps", "training.maxSteps") }
        try int(t.batchSize, 1...TrainingConfig.maxBatchSize, "--batch-size", "training.batchSize")
        try real(t.learningRate, Self.learningRateRange, "--lr", "training.learningRate")
        try real(t.validationFraction, Self.validationRange, "--validation", "training.validationFraction")
        try real(t.warmupFraction, Self.warmupRange, "--warmup-fraction", "training.warmupFraction")
        if let b = t.timeBudget { try real(b, Self.timeBudgetRange, "--time-budget", "training.timeBudget") }
        guard t.labelSmoothing.isFinite, t.labelSmoothing >= 0, t.labelSmoothing < 1 else {
            throw bad("label smoothing", "training.labelSmoothing", "in [0, 1)", t.labelSmoothing)
        }
        if let l = timeLimit { try real(l, Self.timeLimitRange, "--time-limit", "timeLimit") }
        if let f = finalEpochs { try int(f, 0...TrainingConfig.maxEpochs, "--final-epochs", "finalEpochs") }
        guard input.count == 3, TensorShape(input).checkedCount != nil else {
            throw bad("input shape", "input", "CxHxW within the size limits", input)
        }
        try int(classes, 2...SizeLimits.dimension, "classes", "classes")
        guard !data.isEmpty else { throw bad("--data", "data", "a data-set spec", "\"\"") }
        guard !seedNetwork.isEmpty else { throw bad("--net", "seedNetwork", "a built-in name or a .py file", "\"\"") }

        guard mutator.kind == .rules || mutator.llm != nil else {
            throw bad("mutator", "mutator.llm", "set when mutator.kind is llm", "nothing")
        }
        if let llm = mutator.llm {
            if let problem = LLMConfig.urlProblem(llm.baseURL) { throw .invalidConfig("--llm-url (mutator.llm.baseURL in config.json) \(problem)") }
            guard !llm.model.isEmpty else { throw bad("--model", "mutator.llm.model", "a model name", "\"\"") }
            try real(llm.timeoutSeconds, Self.llmTimeoutRange, "--llm-timeout", "mutator.llm.timeoutSeconds")
            try int(llm.retries, Self.llmRetriesRange, "--llm-retries", "mutator.llm.retries")
            try int(llm.concurrency, Self.llmConcurrencyRange, "--llm-concurrency", "mutator.llm.concurrency")
            try real(llm.backoffSeconds, 0...3600, "backoff", "mutator.llm.backoffSeconds")
            try real(llm.maxBackoffSeconds, 0...3600, "backoff cap", "mutator.llm.maxBackoffSeconds")
            try int(llm.maxTokens, 1...(1 << 20), "token limit", "mutator.llm.maxTokens")
            try int(llm.maxReplyBytes, 1...(1 << 30), "reply size limit", "mutator.llm.maxReplyBytes")
        }
    }
}

extension LLMConfig {
    /// Nil when `text` is an http(s) URL with a host (what the client can send to), else what is wrong with
    /// it, phrased to follow the option's name.
    public static func urlProblem(_ text: String) -> String? {
        let example = "such as http://127.0.0.1:8080/v1"
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased() else {
            return "must be an http:// or https:// URL \(example), got '\(text)'"
        }
        guard scheme == "http" || scheme == "https" else {
            return "must use http:// or https:// (\(example)), got a \(scheme): URL"
        }
        guard let host = url.host, !host.isEmpty else { return "has no host name (\(example)): '\(text)'" }
        return nil
    }
}
