import Foundation
import XCTest
@testable import Search

/// `--algorithm llmatic` must choose exactly what the search chose before algorithms were selectable, and old
/// config.json files must keep that behaviour.
final class LLMaticSelectionTests: XCTestCase {
    /// `SearchState.plan` as it was on main at commit cc7b928 (before `SearchConfig.algorithm`), copied verbatim
    /// as the reference.
    static func mainPlan(_ s: SearchState, generation: Int, count: Int, firstID: Int, config: SearchConfig) -> [ChildPlan] {
        var rng = SearchRandom(seed: config.seed, 0x6E4E, UInt64(generation))
        let instructions = MutationInstruction.allCases
        var plans: [ChildPlan] = []
        for k in 0..<count {
            let id = firstID + k
            func randomInstruction() -> MutationInstruction { instructions[rng.below(instructions.count)] }
            guard !s.inInitialPhase(config), let parent = s.fitParent(pool: config.selectionPool, rng: &rng) else {
                plans.append(ChildPlan(id: id, generation: generation, operation: .mutation(randomInstruction()),
                                       parents: [0], temperature: PromptRules.initialTemperature))
                continue
            }
            let curious = rng.pick(s.prompts.mostCurious(config.selectionPool))
            if rng.chance(config.mutationProbability) {
                let instruction = curious?.instruction ?? randomInstruction()
                let t = PromptRules.mutate(curious?.temperature ?? PromptRules.initialTemperature, rng: &rng)
                plans.append(ChildPlan(id: id, generation: generation, operation: .mutation(instruction),
                                       parents: [parent.candidate], temperature: t))
            } else {
                let other = s.otherParent(than: parent.candidate, rng: &rng) ?? parent
                plans.append(ChildPlan(id: id, generation: generation, operation: .crossover,
                                       parents: [parent.candidate, other.candidate],
                                       temperature: curious?.temperature ?? PromptRules.initialTemperature))
            }
        }
        return plans
    }

    /// Archives filled by a table search, so they hold real mixtures of elites, prompts and curiosity.
    func testLLMaticPlansEqualMainsForFixedArchives() throws {
        let table = try NB201BenchTests.syntheticTable(cells: 3000)
        var checked = 0
        for seed: UInt64 in [0, 1, 7] {
            for budget in [1, 5, 13, 40, 120] {
                var config = SearchConfig(data: "nb201", seed: seed)
                config.algorithm = .llmatic
                config.selectionPool = seed == 7 ? 5 : 3
                let state = NB201TableSearch(config: config, skeleton: NB201Skeleton()).run(on: table, budget: budget).state
                for generation in [1, 2, 9, 30] {
                    let now = state.plan(generation: generation, count: 6, firstID: 100, config: config)
                    XCTAssertEqual(now, Self.mainPlan(state, generation: generation, count: 6, firstID: 100, config: config),
                                   "seed \(seed), \(budget) evaluations, generation \(generation)")
                    checked += now.count
                }
            }
        }
        XCTAssertEqual(checked, 3 * 5 * 4 * 6)
    }

    func testOldConfigsDecodeAsLLMaticAndNewOnesDefaultToTheImprovedAlgorithm() throws {
        let fresh = SearchConfig(data: "fashion-mnist")
        XCTAssertEqual(fresh.selection, .standard)
        XCTAssertNotEqual(SearchAlgorithm.standard, .llmatic)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(fresh)) as? [String: Any])
        XCTAssertEqual(object["algorithm"] as? String, SearchAlgorithm.standard.rawValue)
        object.removeValue(forKey: "algorithm")   // as config.json was written before the field existed
        let old = try JSONDecoder().decode(SearchConfig.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertNil(old.algorithm)
        XCTAssertEqual(old.selection, .llmatic)
        var chosen = fresh
        chosen.algorithm = .llmatic
        XCTAssertEqual(try JSONDecoder().decode(SearchConfig.self, from: JSONEncoder().encode(chosen)).selection, .llmatic)
    }
}
