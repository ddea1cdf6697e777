import NetCode
import NetIR

/// Bounds on what a candidate may cost. Checked before training, from the IR alone.
public struct SearchLimits: Codable, Sendable, Hashable {
    public var maxParameters: Int
    /// Forward FLOPs per sample.
    public var maxFlops: Int
    /// Floats of all layer outputs per sample (times the batch size and ~3 for gradients: the memory to train).
    public var maxActivations: Int
    public var maxSourceCharacters: Int

    public init(maxParameters: Int = 5_000_000, maxFlops: Int = 300_000_000, maxActivations: Int = 2_000_000,
                maxSourceCharacters: Int = 200_000) {
        self.maxParameters = maxParameters; self.maxFlops = maxFlops; self.maxActivations = maxActivations
        self.maxSourceCharacters = maxSourceCharacters
    }

    /// What a network of this cost exceeds, said for the user (nil: within every limit).
    public func exceeded(by cost: NetworkCost) -> String? {
        if cost.parameters > maxParameters { return "\(cost.parameters) parameters, more than \(maxParameters)" }
        if cost.flops > maxFlops { return "\(cost.flops) FLOPs per sample, more than \(maxFlops)" }
        if cost.activations > maxActivations {
            return "\(cost.activations) activation floats per sample, more than \(maxActivations)"
        }
        return nil
    }
}

/// A network that passed every check before training.
public struct CheckedCandidate: Sendable {
    public var graph: Graph
    public var cost: NetworkCost
}

/// Source -> checked network: parse, input and output shapes, limits. Each failure is typed.
public struct CandidateChecker: Sendable {
    public var codec: NetworkCodec
    public var classes: Int
    public var limits: SearchLimits

    public init(codec: NetworkCodec, classes: Int, limits: SearchLimits) {
        self.codec = codec; self.classes = classes; self.limits = limits
    }

    public func check(_ source: String, file: String) -> Result<CheckedCandidate, CandidateFailure> {
        guard source.count <= limits.maxSourceCharacters else {
            return .failure(.limit("source has \(source.count) characters, more than \(limits.maxSourceCharacters)"))
        }
        let graph: Graph
        do {
            graph = try codec.parse(source, file)
        } catch let e as NetworkError {
            return .failure(.shape(e.description))
        } catch let f as CandidateFailure {
            return .failure(f)
        } catch let e as SourceError {
            return .failure(Self.failure(e))
        } catch {
            return .failure(.parse(String(describing: error), source: .internal))
        }
        guard graph.inputShape == codec.input else {
            return .failure(.shape("the network takes \(graph.inputShape), the data is \(codec.input)"))
        }
        let cost: NetworkCost
        let out: TensorShape
        do {
            cost = try graph.cost()
            out = try graph.inferShapes()[graph.output]
        } catch {
            return .failure(.shape(String(describing: error)))
        }
        guard out == TensorShape(features: classes) else {
            return .failure(.shape("the network outputs \(out), the data has \(classes) classes"))
        }
        if let exceeded = limits.exceeded(by: cost) { return .failure(.limit(exceeded)) }
        return .success(CheckedCandidate(graph: graph, cost: cost))
    }

    /// The parser reports shape mismatches and exceeded bounds as located source errors too; their kind tells
    /// them apart.
    static func failure(_ e: SourceError) -> CandidateFailure {
        switch e.kind {
        case .shape: return .shape(e.description)
        case .limit: return .limit(e.description)
        case .syntax, .unsupportedConstruct, .unknownModule, .unsupportedOption, .arguments, .undefinedName,
             .evaluation, .missingForward, .noNetwork, .input, .internal:
            return .parse(e.description, source: e.kind)
        }
    }
}
