/// A prompt individual: one of the mutation instructions at one sampling temperature.
public struct PromptIndividual: Codable, Sendable, Hashable {
    public var instruction: MutationInstruction
    public var temperature: Double
    /// +1 each time a child made with it entered the network archive, -0.5 each time one did not.
    public var curiosity: Double
    /// The candidate that put it here.
    public var candidate: Int
}

/// LLMatic's rules for temperatures and curiosity, in one place so the tests can pin them.
public enum PromptRules {
    public static let temperatureRange = 0.1...1.0
    public static let initialTemperature = 0.6
    /// A selected prompt's temperature is perturbed by up to this much for each child.
    public static let mutationStep = 0.1
    /// After evaluation the temperature moves up by this when the child beat the best fitness so far, down otherwise.
    public static let improvementStep = 0.05
    public static let reward = 1.0
    public static let penalty = -0.5

    public static func clamp(_ t: Double) -> Double {
        min(max(t.isNaN ? initialTemperature : t, temperatureRange.lowerBound), temperatureRange.upperBound)
    }

    public static func mutate(_ t: Double, rng: inout SearchRandom) -> Double {
        clamp(t + rng.uniform(-mutationStep, mutationStep))
    }

    public static func afterEvaluation(_ t: Double, improvedBest: Bool) -> Double {
        clamp(t + (improvedBest ? improvementStep : -improvementStep))
    }

    public static func curiosityChange(entered: Bool) -> Double { entered ? reward : penalty }
}

/// The prompt archive: CVT-MAP-Elites over (prompt index, temperature) with fitness 1 when the child entered
/// the network archive and 0 otherwise. Curiosity belongs to the niche and survives replacement of its elite,
/// so a niche that keeps producing entering children stays the one chosen.
public struct PromptArchive: Codable, Sendable {
    public private(set) var archive: CVTArchive<PromptIndividual>

    public init(niches: Int, seed: UInt64) {
        archive = CVTArchive(niches: niches, dimensions: 2, seed: seed &+ 1)
    }

    public static func descriptor(_ instruction: MutationInstruction, temperature: Double) -> [Double] {
        let last = Double(MutationInstruction.allCases.count - 1)
        let r = PromptRules.temperatureRange
        return [Double(instruction.rawValue) / last, (temperature - r.lowerBound) / (r.upperBound - r.lowerBound)]
    }

    /// Records a mutation child's outcome: the niche's curiosity moves, and the prompt enters if it did better.
    @discardableResult
    public mutating func record(_ instruction: MutationInstruction, temperature: Double, entered: Bool,
                                candidate: Int) -> InsertionOutcome {
        let d = Self.descriptor(instruction, temperature: temperature)
        let niche = archive.niche(for: d)
        let curiosity = (archive.elites[niche]?.payload.curiosity ?? 0) + PromptRules.curiosityChange(entered: entered)
        let individual = PromptIndividual(instruction: instruction, temperature: temperature, curiosity: curiosity,
                                          candidate: candidate)
        let outcome = archive.insert(descriptor: d, fitness: entered ? 1 : 0, payload: individual)
        if !outcome.entered { archive.update(niche: niche) { $0.payload.curiosity = curiosity } }
        return outcome
    }

    /// The `count` most curious prompt individuals (ties: fitter, then lower niche).
    public func mostCurious(_ count: Int) -> [PromptIndividual] {
        let sorted = archive.elites.values.sorted {
            if $0.payload.curiosity != $1.payload.curiosity { return $0.payload.curiosity > $1.payload.curiosity }
            if $0.fitness != $1.fitness { return $0.fitness > $1.fitness }
            return $0.niche < $1.niche
        }
        return sorted.prefix(count).map(\.payload)
    }
}

/// Per-instruction counters for the report and the status line.
public struct InstructionStats: Codable, Sendable, Hashable {
    public var uses = 0
    /// Children that entered the network archive.
    public var successes = 0
    /// Children that failed before training (generation, parse, shape, limit) or during it.
    public var failures = 0
    public var curiosity = 0.0
    public var temperatureSum = 0.0
    public var meanTemperature: Double { uses > 0 ? temperatureSum / Double(uses) : 0 }
    public init() {}
}
