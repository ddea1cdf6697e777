import Foundation
import NetCode
import NetIR

/// `--space nb201`: the run searches NAS-Bench-201 cells (config.json's `space`; absent in free-form runs and
/// in runs written before it existed).
public struct NB201SpaceSettings: Codable, Sendable, Hashable {
    public var cellsPerStage: Int
    /// A results table (`../shared/nb201/cifar10.json`): children are looked up instead of trained.
    public var benchmark: String?

    public init(cellsPerStage: Int = NB201Network.defaultCellsPerStage, benchmark: String? = nil) {
        self.cellsPerStage = cellsPerStage; self.benchmark = benchmark
    }

    /// The seed network's cell: the benchmark's ResNet cell (two 3x3 convolutions in a row beside a skip
    /// connection), a good but not the best cell, so the search has somewhere to go.
    public static let defaultSeedCell = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"

    public var recognizer: NB201Recognizer { NB201Recognizer(cellsPerStage: cellsPerStage) }

    /// The network of `cell` for this data.
    public func network(_ cell: NB201Cell, input: TensorShape, classes: Int) -> NB201Network {
        NB201Network(cell: cell, cellsPerStage: cellsPerStage, inputChannels: input.channels, classes: classes)
    }
}

extension NB201Table {
    /// The input and class count of the table's data set, named by the file (`cifar10`, `cifar100`,
    /// `imagenet16-120`; anything else is taken as CIFAR-10-shaped).
    public var dataShape: (input: TensorShape, classes: Int) {
        let lower = name.lowercased()
        if lower.hasPrefix("imagenet16") { return (TensorShape(channels: 3, height: 16, width: 16), 120) }
        return (TensorShape(channels: 3, height: 32, width: 32), lower.hasPrefix("cifar100") ? 100 : 10)
    }
}

/// A table lookup's answer, kept with the candidate's metrics.
public struct BenchmarkLookup: Codable, Sendable, Equatable {
    /// The cell looked up (the recogniser's representative of the child's code).
    public var cell: String
    /// The table's test accuracy as a fraction: for the report, never for selection.
    public var testAccuracy: Double
}

extension NetworkCodec {
    /// NetCode's parser followed by NAS-Bench-201 recognition: a network outside the space fails as
    /// `CandidateFailure.outsideSpace`. Emission writes the recognised cell's network (NetCode's emitter for
    /// anything else, which the parser will then reject).
    public static func nb201(input: TensorShape, classes: Int, space: NB201SpaceSettings) -> NetworkCodec {
        let recognizer = space.recognizer
        return NetworkCodec(input: input,
                            parse: { source, file in
                                let graph = try NetworkSource.parse(source, file: file, input: input).graph
                                do { _ = try recognizer.cell(in: graph) } catch {
                                    throw CandidateFailure.outsideSpace("\(file): \(error)")
                                }
                                return graph
                            },
                            emit: { graph in
                                guard let cell = try? recognizer.cell(in: graph),
                                      let source = try? space.network(cell, input: input, classes: classes).source() else {
                                    return NetworkSource.emit(graph, className: "Net")
                                }
                                return source
                            })
    }
}

/// The rule mutator on NAS-Bench-201: reads the parent's cell back from its code, applies the instruction as
/// an edge edit (`NB201Cell.edited(by:rng:)`) or crosses two cells edge-wise, and writes the child's code.
/// A child must compute something new: edits that give a cell with no code form, or the parent's own
/// computation again, are drawn again (up to `attempts` times: an instruction's edit often lands on an edge that
/// cannot change the output; with 24 tries 1 child in about 1,200 found nothing on cifar10.json).
public struct NB201Mutator: Mutator {
    public let space: NB201SpaceSettings
    public let input: TensorShape
    public let classes: Int
    public var attempts: Int

    public init(space: NB201SpaceSettings, input: TensorShape, classes: Int, attempts: Int = 64) {
        self.space = space; self.input = input; self.classes = classes; self.attempts = attempts
    }

    public var name: String { "rules (nas-bench-201 cells)" }

    public func generate(_ request: MutationRequest) async throws(MutatorError) -> MutationOutput {
        try generateNow(request)
    }

    public func generateNow(_ request: MutationRequest) throws(MutatorError) -> MutationOutput {
        let recognizer = space.recognizer
        var parents: [NB201Cell] = []
        for (i, source) in request.parents.enumerated() {
            do { parents.append(try recognizer.cell(source: source, file: "parent\(i).py", input: input)) } catch {
                throw .invalidParent("\(error)")
            }
        }
        guard let parent = parents.first else { throw .invalidParent("no parent given") }
        var rng = SearchRandom(seed: request.seed, 0x2E1E)
        var child: (cell: NB201Cell, note: String)?
        for _ in 0..<max(attempts, 1) {
            let made: (NB201Cell, String)
            switch request.operation {
            case .seed: made = (parent, "seed cell")
            case .mutation(let m): made = parent.edited(by: m, rng: &rng)
            case .crossover:
                let other = parents.count > 1 ? parents[1] : parent
                made = (NB201Cell.crossover(parent, other, rng: &rng), "edge-wise crossover of \(parent) and \(other)")
            }
            if case .seed = request.operation { child = made; break }
            guard let computed = NB201Recognizer.representative(of: made.0), computed != parent else { continue }
            child = made
            break
        }
        guard let child else { throw .notApplicable("no \(request.operation) edit of \(parent) gave a new cell with a code form in \(attempts) tries") }
        let source: String
        do { source = try space.network(child.cell, input: input, classes: classes).source() } catch {
            throw .notApplicable(error.message)
        }
        let note = "\(child.note) -> \(child.cell)"
        return MutationOutput(source: source, prompt: "rule mutator (NAS-Bench-201): \(request.operation)\nedit: \(note)\n", note: note)
    }
}

/// Evaluates a child by looking its cell up in a NAS-Bench-201 results table instead of training it: fitness is
/// the validation accuracy after the benchmark's 200 epochs (as a fraction, like a trained accuracy); the test
/// accuracy rides along for the report. The table has no loss (NaN).
public struct TableEvaluator: Evaluator {
    public let table: NB201Table
    public let recognizer: NB201Recognizer

    public init(table: NB201Table, recognizer: NB201Recognizer) { self.table = table; self.recognizer = recognizer }

    public var deviceNames: [String] { ["table \(table.name)"] }

    /// The table's results for the network's cell; a network outside the space or a cell the table lacks
    /// is `outsideSpace`.
    public func lookup(_ graph: Graph) throws(CandidateFailure) -> (NB201Cell, NB201Result) {
        let cell: NB201Cell
        do { cell = try recognizer.cell(in: graph) } catch { throw .outsideSpace(error.message) }
        guard let result = table.result(for: cell) else {
            throw .outsideSpace("cell \(cell) is not in the table \(table.path)")
        }
        return (cell, result)
    }

    public func evaluate(_ job: EvaluationJob, device: Int) throws(CandidateFailure) -> CandidateMetrics {
        let (cell, result) = try lookup(job.graph)
        var metrics = CandidateMetrics(validationAccuracy: result.validationAccuracy / 100, validationLoss: .nan)
        metrics.benchmark = BenchmarkLookup(cell: cell.description, testAccuracy: result.testAccuracy / 100)
        return metrics
    }

    public func test(_ graph: Graph, weightsPath: String, device: Int) throws(CandidateFailure) -> TestMetrics {
        let (_, result) = try lookup(graph)
        return TestMetrics(accuracy: result.testAccuracy / 100, loss: .nan, samples: 0)
    }
}
