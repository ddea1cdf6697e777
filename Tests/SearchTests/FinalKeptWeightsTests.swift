import XCTest
import NetIR
@testable import Search

/// The final network ships the search's own weights when they validate better than the retrain's by more than
/// a tie (`KeptWeights`), and the retrain's otherwise.
final class FinalKeptWeightsTests: XCTestCase {
    /// The fixture's run, its promotions with every promoted accuracy moved by `shift`.
    func promoted(_ name: String, shift: Double) async throws -> (SearchEngine, RunDirectory, [PromotionResult]) {
        let (engine, dir, _) = try await FinalPhaseFixture.searched(name)
        engine.scalesFinalNetwork = false
        let promotions = await engine.promote(seconds: 60)
        XCTAssertFalse(promotions.isEmpty, "the fixture's archive has networks to promote")
        return (engine, dir, promotions.map { var p = $0; p.promotedAccuracy += shift; return p })
    }

    func testPromotedWeightsShipWhenTheRetrainValidatesWorse() async throws {
        // Accuracies above 1 no retrain can reach: the promoted weights must ship.
        let (engine, dir, promotions) = try await promoted("final-kept", shift: 1)
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let result = await engine.finalNetwork(seconds: 8, promotions: promotions)
        let final = try XCTUnwrap(result)
        let retrain = try XCTUnwrap(final.retrain, "the retrain ran")
        let kept = try XCTUnwrap(final.kept)
        let winner = try XCTUnwrap(PromotionRule.winner(promotions, validationImages: try XCTUnwrap(engine.evaluator as? TrainerEvaluator).splitSizes.validation))
        XCTAssertEqual(final.candidate, winner.candidate)
        XCTAssertEqual(kept.from, "promoted")
        XCTAssertEqual(kept.validationAccuracy, winner.promotedAccuracy)
        XCTAssertEqual(final.testAccuracy, kept.testAccuracy)
        XCTAssertLessThan(retrain.validationAccuracy, kept.validationAccuracy)
        // What ships is the candidate's source and its promoted weights, byte for byte; the retrain's files stay.
        let refined = dir.candidateFile(final.candidate, .refined)
        XCTAssertEqual(FileManager.default.contents(atPath: try XCTUnwrap(final.weights)), FileManager.default.contents(atPath: refined))
        XCTAssertEqual(dir.read(final.source), dir.read(dir.candidateFile(final.candidate, .source)))
        XCTAssertTrue(dir.exists(dir.path(SearchEngine.retrainedWeightsName)))
        XCTAssertTrue(dir.exists(dir.path(SearchEngine.retrainedSourceName)))
        // The test accuracy is that of the promoted weights.
        let trainer = try XCTUnwrap(engine.evaluator as? TrainerEvaluator)
        let found = try NetworkCodec.pytorch(input: FinalPhaseFixture.input).parse(try XCTUnwrap(dir.read(final.source)), "final.py")
        let tested = try trainer.test(found, weightsPath: refined, device: 0)
        XCTAssertEqual(kept.testAccuracy, tested.accuracy)
        let json = try dir.readJSON(FinalNetworkResult.self, from: dir.path(SearchEngine.finalNetworkJSON))
        XCTAssertEqual(json.kept, kept)
    }

    /// The search's weights must beat the retrain by more than one binomial standard error (0.35 points at
    /// 0.92 on 6,000 images) to ship; a failed retrain always loses.
    func testSearchWeightsShipOnlyWhenTheyBeatTheRetrainByMoreThanATie() {
        XCTAssertFalse(KeptWeights.searchWins(search: 0.9225, retrain: 0.9207, validationImages: 6_000), "a tie")
        XCTAssertFalse(KeptWeights.searchWins(search: 0.9225, retrain: 0.9191, validationImages: 6_000), "within the margin")
        XCTAssertTrue(KeptWeights.searchWins(search: 0.9225, retrain: 0.9185, validationImages: 6_000))
        XCTAssertTrue(KeptWeights.searchWins(search: 0.9143, retrain: 0.9073, validationImages: 6_000))
        XCTAssertFalse(KeptWeights.searchWins(search: 0.90, retrain: 0.91, validationImages: 6_000))
        XCTAssertTrue(KeptWeights.searchWins(search: 0.50, retrain: nil, validationImages: 6_000), "the retrain failed")
        // Without validation images there is no margin: strictly better wins.
        XCTAssertTrue(KeptWeights.searchWins(search: 0.9225, retrain: 0.9207, validationImages: 0))
        XCTAssertFalse(KeptWeights.searchWins(search: 0.9207, retrain: 0.9207, validationImages: 0))
    }

    func testTheRetrainShipsWhenItValidatesAtLeastAsWell() async throws {
        // Accuracies below 0: any retrain is better.
        let (engine, dir, promotions) = try await promoted("final-retrain-ships", shift: -2)
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let result = await engine.finalNetwork(seconds: 8, promotions: promotions)
        let final = try XCTUnwrap(result)
        let retrain = try XCTUnwrap(final.retrain)
        XCTAssertNil(final.kept)
        XCTAssertEqual(final.testAccuracy, retrain.testAccuracy)
        XCTAssertFalse(dir.exists(dir.path(SearchEngine.retrainedWeightsName)))
        XCTAssertNotEqual(FileManager.default.contents(atPath: try XCTUnwrap(final.weights)),
                          FileManager.default.contents(atPath: dir.candidateFile(final.candidate, .refined)))
    }
}
