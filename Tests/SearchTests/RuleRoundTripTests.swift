import XCTest
import NetCode
import NetIR
@testable import Search

/// Rule edits travel as source, like a language model's: every child must survive emit -> parse unchanged
/// in shape, size and cost.
final class RuleRoundTripTests: XCTestCase {
    let fashion = TensorShape(channels: 1, height: 28, width: 28)

    func testRuleChildrenParseBackThroughNetCode() throws {
        let codec = NetworkCodec.pytorch(input: fashion)
        let mutator = RuleMutator(codec: codec)
        var population = try BuiltinNetwork.allCases.map { codec.emit(try $0.graph(input: fashion)) }
        var rng = SearchRandom(seed: 2024)
        var made = 0
        let rounds = 1500
        for round in 0..<rounds {
            let op: Variation = rng.chance(0.15) ? .crossover
                : .mutation(MutationInstruction.allCases[rng.below(MutationInstruction.allCases.count)])
            let parents = [population[rng.below(population.count)], population[rng.below(population.count)]]
            let request = MutationRequest(operation: op, parents: op == .crossover ? parents : [parents[0]],
                                          temperature: 0.5, seed: UInt64(round))
            let out: MutationOutput
            do { out = try mutator.generateNow(request) } catch {
                guard case .notApplicable = error else { return XCTFail("\(error)") }
                continue
            }
            let parsed: Graph
            do { parsed = try codec.parse(out.source, "child.py") } catch {
                return XCTFail("round \(round) \(op): \(error)\n\(out.note)\n\(out.source)")
            }
            let cost = try parsed.cost()
            XCTAssertEqual(try parsed.inferShapes()[parsed.output], TensorShape(features: 10))
            // Emitting the parsed graph again gives the same source: nothing is lost on the way.
            XCTAssertEqual(codec.emit(parsed), out.source, "round \(round): \(out.note)")
            made += 1
            if cost.parameters < 1_500_000 && parsed.nodes.count < 70 {
                if population.count < 30 { population.append(out.source) } else { population[rng.below(30)] = out.source }
            }
        }
        XCTAssertGreaterThan(made, rounds * 8 / 10)
    }
}
