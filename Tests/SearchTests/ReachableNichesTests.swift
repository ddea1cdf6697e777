import XCTest
import NetIR
@testable import Search

/// Niches over the reachable part of the descriptor box: every centroid lies near a network the rule edits
/// reach from the seed (the uniform CVT of the same box does not), the seed's neighbourhood has niches, and
/// the layout is a pure function of its inputs (a resumed or MPI run rebuilds it identically).
final class ReachableNichesTests: XCTestCase {
    let input = TensorShape(channels: 1, height: 28, width: 28)
    let limits = SearchLimits()

    func space(_ seed: Graph) throws -> DescriptorSpace {
        // Fashion-MNIST's box with the FLOPs top a 2-core machine's child budget gives (about 75 M).
        DescriptorBounds.space(limits: limits, input: input, classes: 10, seeds: [try seed.cost()], trainableFlops: 75e6)
    }

    func testCentroidsLieWhereWalkedNetworksAre() throws {
        let seed = try BuiltinNetwork.initial.graph(input: input, classes: 10)
        let box = try space(seed)
        let centroids = try XCTUnwrap(ReachableNiches.centroids(count: 50, seedNetwork: seed, space: box, limits: limits, seed: 4))
        XCTAssertEqual(centroids.count, 50)
        XCTAssertEqual(Set(centroids.map { $0.map { ($0 * 1e9).rounded() } }).count, 50, "centroids are distinct")
        let walked = ReachableNiches.walkedDescriptors(from: seed, space: box, limits: limits, seed: 4)
        XCTAssertGreaterThan(walked.count, ReachableNiches.minimumNetworks)
        func nearestWalked(_ c: [Double]) -> Double { walked.map { ReachableNiches.distance($0, c) }.min() ?? .infinity }
        // A centroid is the mean of kept samples, each within `reach` of a walked network; a cell's mean may sit
        // between walks, so the bound is the reach plus the spacing of evenly spread niches.
        let bound = ReachableNiches.reach + 0.5 / Double(50).squareRoot()
        for c in centroids {
            XCTAssertTrue(c.allSatisfy { (0...1).contains($0) }, "\(c) inside the unit box")
            XCTAssertLessThanOrEqual(nearestWalked(c), bound, "centroid \(c) is far from every reachable network")
        }
        // The uniform CVT of the same box puts niches where no walk goes: the reason for this layout.
        let uniform = CVT.centroids(count: 50, dimensions: 2, seed: 4)
        XCTAssertGreaterThan(uniform.filter { nearestWalked($0) > bound }.count, 0)
        // The seed network's own niche is among them, and close to it.
        let seedPoint = box.descriptor(try seed.cost())
        XCTAssertLessThan(centroids.map { ReachableNiches.distance($0, seedPoint) }.min() ?? 1, 0.2)
    }

    func testLayoutIsAPureFunctionOfItsInputs() throws {
        let seed = try BuiltinNetwork.initial.graph(input: input, classes: 10)
        let box = try space(seed)
        let a = ReachableNiches.centroids(count: 20, seedNetwork: seed, space: box, limits: limits, seed: 9)
        let b = ReachableNiches.centroids(count: 20, seedNetwork: seed, space: box, limits: limits, seed: 9)
        XCTAssertNotNil(a)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, ReachableNiches.centroids(count: 20, seedNetwork: seed, space: box, limits: limits, seed: 10))
    }

    func testTooFewReachableNetworksFallBackToTheUniformLayout() throws {
        // Limits no edit of the seed satisfies: no walked network, so the caller keeps the uniform CVT.
        let seed = try BuiltinNetwork.initial.graph(input: input, classes: 10)
        let tight = SearchLimits(maxParameters: 10, maxFlops: 10, maxActivations: 10)
        XCTAssertNil(ReachableNiches.centroids(count: 50, seedNetwork: seed, space: try space(seed), limits: tight, seed: 1))
    }

    func testConfigCentroidsMakeTheArchive() throws {
        var config = SearchConfig(data: "synthetic", niches: 3)
        config.nicheCentroids = [[0.1, 0.1], [0.5, 0.5], [0.9, 0.2]]
        XCTAssertEqual(SearchState(config: config).networks.centroids, config.nicheCentroids)
        config.nicheCentroids = nil
        XCTAssertEqual(SearchState(config: config).networks.centroids, CVT.centroids(count: 3, dimensions: 2, seed: 0))
    }
}
