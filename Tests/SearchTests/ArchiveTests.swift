import XCTest
@testable import Search

final class ArchiveTests: XCTestCase {
    func testCentroidsAreDeterministicInsideTheBoxAndDistinct() {
        let a = CVT.centroids(count: 100, dimensions: 2, seed: 7)
        let b = CVT.centroids(count: 100, dimensions: 2, seed: 7)
        let c = CVT.centroids(count: 100, dimensions: 2, seed: 8)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a.count, 100)
        XCTAssertEqual(Set(a.map { $0.map { ($0 * 1e9).rounded() } }).count, 100, "centroids must be distinct")
        for p in a { for x in p { XCTAssert(x >= 0 && x <= 1) } }
        // Lloyd's centroids spread over the box: every quadrant holds roughly a quarter.
        let lowerLeft = a.filter { $0[0] < 0.5 && $0[1] < 0.5 }.count
        XCTAssert((15...35).contains(lowerLeft), "\(lowerLeft)")
    }

    func testCentroidsWithFewSamplesStayDistinct() {
        let a = CVT.centroids(count: 20, dimensions: 2, seed: 1, samples: 20, iterations: 5)
        XCTAssertEqual(Set(a.map { $0.map { ($0 * 1e9).rounded() } }).count, 20)
    }

    func testInsertIfBetterPerNiche() {
        var archive = CVTArchive<Int>(niches: 10, seed: 3)
        let d = [0.2, 0.7]
        XCTAssertEqual(archive.insert(descriptor: d, fitness: 0.5, payload: 1), .newNiche)
        XCTAssertEqual(archive.insert(descriptor: d, fitness: 0.4, payload: 2), .rejected)
        XCTAssertEqual(archive.insert(descriptor: d, fitness: 0.5, payload: 3), .rejected, "ties keep the incumbent")
        XCTAssertEqual(archive.insert(descriptor: d, fitness: 0.6, payload: 4), .improved)
        XCTAssertEqual(archive.count, 1)
        XCTAssertEqual(archive.best?.payload, 4)
        XCTAssertEqual(archive.insert(descriptor: [Double.nan, 2], fitness: .nan, payload: 5), .rejected)
        // A descriptor outside the box is clamped onto it, not dropped.
        let outcome = archive.insert(descriptor: [5, -3], fitness: 0.1, payload: 6)
        XCTAssertTrue(outcome.entered || archive.niche(for: [1, 0]) == archive.niche(for: d))
        XCTAssertEqual(archive.niche(for: [5, -3]), archive.niche(for: [1, 0]))
    }

    func testArchiveJSONRoundTrip() throws {
        var archive = CVTArchive<String>(niches: 16, seed: 9)
        var rng = SearchRandom(seed: 1)
        for i in 0..<50 { archive.insert(descriptor: [rng.unit(), rng.unit()], fitness: rng.unit(), payload: "n\(i)") }
        let data = try JSONEncoder().encode(archive)
        let back = try JSONDecoder().decode(CVTArchive<String>.self, from: data)
        XCTAssertEqual(back.centroids, archive.centroids)
        XCTAssertEqual(back.ranked.map(\.payload), archive.ranked.map(\.payload))
        XCTAssertEqual(back.coverage, archive.coverage)
    }

    func testDescriptorSpaceUsesLogScales() {
        let space = DescriptorSpace()
        XCTAssertEqual(space.descriptor(ratio: pow(10, -2.5), flops: 1e4), [0, 0])
        XCTAssertEqual(space.descriptor(ratio: pow(10, 0.5), flops: 1e9)[1], 1, accuracy: 1e-12)
        let mid = space.descriptor(ratio: 0.1, flops: 1e6)
        XCTAssertEqual(mid[0], 0.5, accuracy: 1e-9)
        XCTAssertEqual(mid[1], 0.4, accuracy: 1e-9)
        XCTAssertEqual(space.descriptor(ratio: 0, flops: 0), [0, 0], "degenerate values clamp, never NaN")
    }
}

final class PromptRuleTests: XCTestCase {
    func testCuriosityRisesByOneAndFallsByHalf() {
        var archive = PromptArchive(niches: 100, seed: 1)
        archive.record(.addConvolution, temperature: 0.6, entered: true, candidate: 1)
        archive.record(.addConvolution, temperature: 0.6, entered: false, candidate: 2)
        archive.record(.addConvolution, temperature: 0.6, entered: true, candidate: 3)
        let top = archive.mostCurious(1)
        XCTAssertEqual(top.first?.instruction, .addConvolution)
        XCTAssertEqual(top.first?.curiosity ?? 0, 1.5, accuracy: 1e-12)
        archive.record(.deleteLayer, temperature: 0.6, entered: false, candidate: 4)
        let all = archive.mostCurious(13)
        XCTAssertEqual(all.count, 13, "every prompt has a score from the start")
        XCTAssertEqual(all.last?.instruction, .deleteLayer)
        XCTAssertEqual(all.last?.curiosity ?? 0, -0.5, accuracy: 1e-12)
    }

    func testCuriosityIsPerPromptSoAFailingPromptGivesWay() {
        var archive = PromptArchive(niches: 100, seed: 1)
        var rng = SearchRandom(seed: 3)
        // Many temperatures of one prompt, mostly failing: each lands in its own niche, but the prompt's one
        // score sinks, and untried prompts (score 0) overtake it.
        for k in 0..<12 {
            archive.record(.addLinear, temperature: PromptRules.mutate(0.6, rng: &rng), entered: k % 4 == 0, candidate: k)
        }
        XCTAssertEqual(archive.curiosity(.addLinear), 3 - 4.5, accuracy: 1e-12)
        XCTAssertFalse(archive.mostCurious(3).contains { $0.instruction == .addLinear })
        XCTAssertEqual(archive.mostCurious(1).first?.temperature, PromptRules.initialTemperature)
    }

    func testMostCuriousCarriesTheBestTemperature() {
        var archive = PromptArchive(niches: 100, seed: 1)
        archive.record(.grow, temperature: 0.2, entered: true, candidate: 1)
        archive.record(.grow, temperature: 0.9, entered: false, candidate: 2)
        let top = archive.mostCurious(1).first
        XCTAssertEqual(top?.instruction, .grow)
        XCTAssertEqual(top?.temperature, 0.2, "the temperature whose child entered the archive")
    }

    func testPromptFitnessIsEnteredOrNot() {
        var archive = PromptArchive(niches: 100, seed: 1)
        XCTAssertEqual(archive.record(.grow, temperature: 0.5, entered: false, candidate: 1), .newNiche)
        XCTAssertEqual(archive.record(.grow, temperature: 0.5, entered: false, candidate: 2), .rejected)
        XCTAssertEqual(archive.record(.grow, temperature: 0.5, entered: true, candidate: 3), .improved)
        XCTAssertEqual(archive.archive.elites.values.first?.payload.candidate, 3)
    }

    func testTemperatureRules() {
        var rng = SearchRandom(seed: 5)
        for _ in 0..<1000 {
            let t = rng.uniform(0.1, 1.0)
            let m = PromptRules.mutate(t, rng: &rng)
            XCTAssert(abs(m - t) <= 0.1 + 1e-12 && m >= 0.1 && m <= 1.0)
        }
        XCTAssertEqual(PromptRules.mutate(1.0, rng: &rng) <= 1.0, true)
        XCTAssertEqual(PromptRules.afterEvaluation(0.6, improvedBest: true), 0.65, accuracy: 1e-12)
        XCTAssertEqual(PromptRules.afterEvaluation(0.6, improvedBest: false), 0.55, accuracy: 1e-12)
        XCTAssertEqual(PromptRules.afterEvaluation(0.98, improvedBest: true), 1.0)
        XCTAssertEqual(PromptRules.afterEvaluation(0.12, improvedBest: false), 0.1)
        XCTAssertEqual(PromptRules.curiosityChange(entered: true), 1)
        XCTAssertEqual(PromptRules.curiosityChange(entered: false), -0.5)
    }

    func testThirteenInstructionsInPaperOrder() {
        XCTAssertEqual(MutationInstruction.allCases.count, 13)
        XCTAssertEqual(MutationInstruction.addLayer.rawValue, 0)
        XCTAssertEqual(MutationInstruction.addRecurrent.rawValue, 12)
        for m in MutationInstruction.allCases { XCTAssertEqual(Variation(name: m.description), .mutation(m)) }
        XCTAssertEqual(Variation(name: "crossover"), .crossover)
    }
}
