import Foundation
import NetIR
@testable import Search

/// Stands in for training: a deterministic accuracy from the network's size (bigger is better, with a
/// seeded wobble), an optional delay, and a small file where the weights would go.
final class FakeEvaluator: Evaluator, @unchecked Sendable {
    let devices: Int
    let delay: Double
    let lock = NSLock()
    var busy: Set<Int> = []
    var overlapped = false
    var jobs: [Int] = []
    var inheritRequests: [[String]] = []
    var failEvery: Int?
    /// Accuracy for particular networks (by `Graph.structuralHash`), instead of the size rule.
    var fixedAccuracy: [String: Double] = [:]

    init(devices: Int = 1, delay: Double = 0, failEvery: Int? = nil) {
        self.devices = devices; self.delay = delay; self.failEvery = failEvery
    }

    var deviceNames: [String] { (0..<devices).map { "fake\($0)" } }

    func evaluate(_ job: EvaluationJob, device: Int) throws(CandidateFailure) -> CandidateMetrics {
        lock.withLock {
            if busy.contains(device) { overlapped = true }
            busy.insert(device)
            jobs.append(job.candidate)
            inheritRequests.append(job.inheritFrom)
        }
        defer { _ = lock.withLock { busy.remove(device) } }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        if let n = failEvery, job.candidate > 0, job.candidate % n == 0 { throw .divergence("fake divergence") }
        let parameters = Double(job.graph.parameterCount)
        var rng = SearchRandom(seed: UInt64(job.candidate), 7)
        let accuracy = fixedAccuracy[job.graph.structuralHash] ?? min(0.99, 0.5 + 0.04 * log10(max(parameters, 1)) + 0.02 * rng.unit())
        if let path = job.weightsPath {
            FileManager.default.createFile(atPath: path, contents: Data("weights of \(job.candidate)".utf8))
        }
        return CandidateMetrics(validationAccuracy: accuracy, validationLoss: 1 - accuracy, steps: 1, epochs: 1, seconds: delay)
    }

    func test(_ graph: Graph, weightsPath: String, device: Int) throws(CandidateFailure) -> TestMetrics {
        TestMetrics(accuracy: 0.9, loss: 0.3, samples: 100)
    }
}

enum TestRun {
    static let fashion = TensorShape(channels: 1, height: 28, width: 28)

    static func folder(_ name: String) -> RunDirectory {
        let path = NSTemporaryDirectory() + "llmatic-search-tests/\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.removeItem(atPath: path)
        return RunDirectory(path)
    }

    static func config(evaluations: Int = 24, batch: Int = 4, seed: UInt64 = 1) -> SearchConfig {
        SearchConfig(data: "synthetic", seed: seed, evaluations: evaluations, batch: batch, niches: 20, promptNiches: 20,
                     initialNetworks: 3, seedNetwork: "smallcnn")
    }

    static func engine(_ dir: RunDirectory, config: SearchConfig, evaluator: any Evaluator = FakeEvaluator(),
                       mutator: (any Mutator)? = nil, resume: Bool = false) throws -> SearchEngine {
        let codec = NetworkCodec.pytorch(input: fashion)
        let seed = codec.emit(try BuiltinNetwork.smallcnn.graph(input: fashion))
        return try SearchEngine(config: config, directory: dir, seedSource: resume ? nil : seed,
                                mutator: mutator ?? RuleMutator(codec: codec),
                                checker: CandidateChecker(codec: codec, classes: 10, limits: SearchLimits()),
                                evaluator: evaluator, resume: resume)
    }

    static func candidates(_ dir: RunDirectory) -> [CandidateRecord] {
        EventLog.read(RunEvent.self, from: dir.eventsPath).compactMap {
            if case .candidate(let r) = $0 { return r } else { return nil }
        }
    }
}
