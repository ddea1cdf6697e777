import XCTest
import Train
@testable import Search

/// A final retrain whose loss turns NaN is started again with a smaller learning rate (`FinalRecipe`), instead
/// of leaving the run without a final network.
final class FinalDivergenceTests: XCTestCase {
    func testRecipeScalesTheLearningRate() {
        var recipe = FinalRecipe(epochs: 3, augment: false)
        XCTAssertEqual(recipe.trainingConfig(batchSize: 32, learningRate: 0.1, seed: 0).learningRate, 0.1, accuracy: 1e-12)
        recipe.learningRateScale = 0.25
        XCTAssertEqual(recipe.trainingConfig(batchSize: 32, learningRate: 0.1, seed: 0).learningRate, 0.025, accuracy: 1e-12)
    }

    func testDivergedRetrainIsRepeatedWithSmallerLearningRates() async throws {
        let (_, dir, config) = try await FinalPhaseFixture.searched("final-divergence")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        // A learning rate no factor of the retries can tame: every try diverges, and each is a retry.
        var diverging = FinalPhaseFixture.training.trainingConfig(seed: 3)
        diverging.learningRate = 1e12
        let engine = try FinalPhaseFixture.reopened(config, dir, trainingConfig: diverging)
        engine.scalesFinalNetwork = false
        let result = await engine.finalNetwork(seconds: 20, promotions: [])
        let final = try XCTUnwrap(result)
        XCTAssertNil(final.retrain)
        XCTAssertTrue(final.failure?.contains("diverged") ?? false, final.failure ?? "no failure")
        let factor = FinalRecipe.divergenceLearningRateFactor
        let expected = (0..<FinalRecipe.divergenceRetries).reduce(1.0) { r, _ in r * factor }
        XCTAssertEqual(try XCTUnwrap(final.learningRateScale, "retried"), expected, accuracy: 1e-12)
        // Nothing is lost: the archive network's own weights ship.
        XCTAssertEqual(final.kept?.from, "explore", "the search's weights ship when every retrain diverged")
        XCTAssertNotNil(final.weights)
    }
}
