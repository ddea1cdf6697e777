/// A prompt individual: one of the mutation instructions at one sampling temperature.
public struct PromptIndividual: Codable, Sendable, Hashable {
    public var instruction: MutationInstruction
    public var temperature: Double
    /// The prompt's curiosity when this individual was recorded (+1 per child that entered the network
    /// archive, -0.5 per child that did not).
    public var curiosity: Double
    /// The candidate that put it here (-1: none yet).
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
/// the network archive and 0 otherwise. Curiosity belongs to the prompt itself (+1 / -0.5 per child), and
/// every prompt starts at 0, so one that was never tried is as curious as one that breaks even.
///
/// Why per prompt and not per niche: with per-niche scores, each perturbed temperature opens a fresh niche at
/// 0, so whichever prompt is chosen early keeps spawning fresh, "curious" niches and is never let go
/// (measured: one instruction took 115 of 297 children while it failed 4 times in 5).
public struct PromptArchive: Codable, Sendable {
    public private(set) var archive: CVTArchive<PromptIndividual>
    /// Curiosity per instruction, by raw value.
    public private(set) var scores: [Double]

    public init(niches: Int, seed: UInt64) {
        archive = CVTArchive(niches: niches, dimensions: 2, seed: seed &+ 1)
        scores = [Double](repeating: 0, count: MutationInstruction.allCases.count)
    }

    public static func descriptor(_ instruction: MutationInstruction, temperature: Double) -> [Double] {
        let last = Double(MutationInstruction.allCases.count - 1)
        let r = PromptRules.temperatureRange
        return [Double(instruction.rawValue) / last, (temperature - r.lowerBound) / (r.upperBound - r.lowerBound)]
    }

    public func curiosity(_ instruction: MutationInstruction) -> Double {
        instruction.rawValue < scores.count ? scores[instruction.rawValue] : 0
    }

    /// Records a mutation child's outcome: the prompt's curiosity moves, and the (prompt, temperature)
    /// individual enters its niche if it did better than the one there.
    @discardableResult
    public mutating func record(_ instruction: MutationInstruction, temperature: Double, entered: Bool,
                                candidate: Int) -> InsertionOutcome {
        if instruction.rawValue < scores.count { scores[instruction.rawValue] += PromptRules.curiosityChange(entered: entered) }
        let individual = PromptIndividual(instruction: instruction, temperature: temperature,
                                          curiosity: curiosity(instruction), candidate: candidate)
        return archive.insert(descriptor: Self.descriptor(instruction, temperature: temperature),
                              fitness: entered ? 1 : 0, payload: individual)
    }

    /// The `count` most curious prompts (ties: lower prompt index), each at the temperature of its best
    /// individual in the archive (fittest, then latest), or the initial temperature if it has none yet.
    public func mostCurious(_ count: Int) -> [PromptIndividual] {
        var best: [MutationInstruction: Elite<PromptIndividual>] = [:]
        for e in archive.elites.values {
            let i = e.payload.instruction
            if let b = best[i], (b.fitness, b.payload.candidate) >= (e.fitness, e.payload.candidate) { continue }
            best[i] = e
        }
        let prompts = MutationInstruction.allCases.map { i in
            PromptIndividual(instruction: i, temperature: best[i]?.payload.temperature ?? PromptRules.initialTemperature,
                             curiosity: curiosity(i), candidate: best[i]?.payload.candidate ?? -1)
        }
        let sorted = prompts.enumerated().sorted {
            $0.element.curiosity != $1.element.curiosity ? $0.element.curiosity > $1.element.curiosity : $0.offset < $1.offset
        }
        return sorted.prefix(count).map(\.element)
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
