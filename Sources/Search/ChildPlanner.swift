/// One child to make: decided at the start of its generation, from the archives as they stood then.
public struct ChildPlan: Sendable, Hashable {
    public var id: Int
    public var generation: Int
    public var operation: Variation
    public var parents: [Int]
    public var temperature: Double
}

extension SearchState {
    /// True while children still come from the seed: the archive holds fewer than the algorithm's seed-phase
    /// networks (`--initial` for LLMatic) and fewer than twice that many children were made (LLMatic ends this
    /// phase on either count, since children of one tiny seed often share a handful of niches and would keep
    /// the search there forever).
    public func inInitialPhase(_ config: SearchConfig) -> Bool {
        let networksWanted = config.selection.seedPhaseNetworks(initial: config.initialNetworks)
        return networks.count < networksWanted && evaluations - 1 < 2 * networksWanted
    }

    /// The children of one generation. In the initial phase: random instructions on the seed (candidate 0) at
    /// the initial temperature. Then, per child, a mutation with probability `mutationProbability` (a parent
    /// chosen by the algorithm, a prompt among the `selectionPool` most curious, its temperature perturbed),
    /// else a crossover of such a parent with another archive member.
    public func plan(generation: Int, count: Int, firstID: Int, config: SearchConfig) -> [ChildPlan] {
        var rng = SearchRandom(seed: config.seed, 0x6E4E, UInt64(generation))
        let instructions = MutationInstruction.allCases
        var plans: [ChildPlan] = []
        for k in 0..<count {
            let id = firstID + k
            func randomInstruction() -> MutationInstruction { instructions[rng.below(instructions.count)] }
            guard !inInitialPhase(config), let parent = parent(config, rng: &rng) else {
                plans.append(ChildPlan(id: id, generation: generation, operation: .mutation(randomInstruction()),
                                       parents: [0], temperature: PromptRules.initialTemperature))
                continue
            }
            let curious = rng.pick(prompts.mostCurious(config.selectionPool))
            if rng.chance(config.mutationProbability) {
                let instruction = curious?.instruction ?? randomInstruction()
                let t = PromptRules.mutate(curious?.temperature ?? PromptRules.initialTemperature, rng: &rng)
                plans.append(ChildPlan(id: id, generation: generation, operation: .mutation(instruction),
                                       parents: [parent.candidate], temperature: t))
            } else {
                let other = otherParent(than: parent.candidate, rng: &rng) ?? parent
                plans.append(ChildPlan(id: id, generation: generation, operation: .crossover,
                                       parents: [parent.candidate, other.candidate],
                                       temperature: curious?.temperature ?? PromptRules.initialTemperature))
            }
        }
        return plans
    }

    /// The (first) parent of a child after the initial phase; nil while the archive is empty.
    /// LLMatic: uniformly one of the `selectionPool` fittest networks. elite-curious: the fittest network (the
    /// incumbent) with probability `SearchAlgorithm.incumbentShare`, else as LLMatic.
    func parent(_ config: SearchConfig, rng: inout SearchRandom) -> NetworkElite? {
        switch config.selection {
        case .llmatic:
            return fitParent(pool: config.selectionPool, rng: &rng)
        case .eliteCurious:
            guard let incumbent = networks.best?.payload else { return nil }
            return rng.chance(SearchAlgorithm.incumbentShare) ? incumbent : fitParent(pool: config.selectionPool, rng: &rng)
        }
    }
}
