import Foundation
import XCTest
import NetIR
@testable import Search

/// Niches placed over the networks the rule edits reach (`ReachableNiches`).
final class ReachableNichesTests: XCTestCase {
    let fashion = TensorShape(channels: 1, height: 28, width: 28)

    func setting(maxFlops: Int = 300_000_000) throws -> (seed: Graph, space: DescriptorSpace, limits: SearchLimits) {
        let seed = try BuiltinNetwork.initial.graph(input: fashion, classes: 10)
        let limits = SearchLimits(maxFlops: maxFlops)
        let space = DescriptorBounds.space(limits: limits, input: fashion, classes: 10, seeds: [try seed.cost()],
                                           trainableFlops: 1e8)
        return (seed, space, limits)
    }

    func testEveryNicheHoldsANetworkTheRulesMakeAndTheSeedDecidesThem() throws {
        let s = try setting()
        let start = Date()
        let points = ReachableNiches.samples(seeds: [s.seed], space: s.space, limits: s.limits, seed: 1)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertGreaterThanOrEqual(points.count, 50 * ReachableNiches.minimumCellsPerNiche, "\(points.count) cells")
        let cells = Set(points.map { $0.map { Int(($0 * Double(ReachableNiches.grid)).rounded(.down)) } })
        XCTAssertEqual(cells.count, points.count, "one sample per lattice cell")
        let centroids = try XCTUnwrap(ReachableNiches.centroids(count: 50, seeds: [s.seed], space: s.space, limits: s.limits, seed: 1))
        XCTAssertEqual(centroids.count, 50)
        var held = Set<Int>()
        for p in points { held.insert(CVT.nearest(p, in: centroids)) }
        XCTAssertEqual(held.count, 50, "a niche with no reachable network in it")
        XCTAssertEqual(centroids, ReachableNiches.centroids(count: 50, seeds: [s.seed], space: s.space, limits: s.limits, seed: 1))
        XCTAssertNotEqual(centroids, ReachableNiches.centroids(count: 50, seeds: [s.seed], space: s.space, limits: s.limits, seed: 2))
        print("reachable cells: \(points.count) in \(String(format: "%.2f", seconds)) s")
    }

    /// Uniform CVT leaves niches no rule network reaches (nothing is both very wide and nearly free, deep
    /// narrow networks need long chains); the reachable placement leaves none (checked above).
    func testTheUniformBoxHasNichesNoNetworkReaches() throws {
        let s = try setting()
        let points = ReachableNiches.samples(seeds: [s.seed], space: s.space, limits: s.limits, seed: 1)
        let uniform = CVT.centroids(count: 50, dimensions: 2, seed: 1)
        let held = Set(points.map { CVT.nearest($0, in: uniform) }).count
        print("uniform niches holding a reachable network: \(held) of 50")
        XCTAssertLessThanOrEqual(held, 45)
    }

    /// Walks stay within the limits: with a 1-MFLOPs limit no sample lies above it on the FLOPs axis.
    func testWalksKeepToTheLimits() throws {
        let s = try setting(maxFlops: 1_000_000)
        let top = (6.0 - s.space.log10FlopsRange.lowerBound) / (s.space.log10FlopsRange.upperBound - s.space.log10FlopsRange.lowerBound)
        let points = ReachableNiches.samples(seeds: [s.seed], space: s.space, limits: s.limits, seed: 3)
        XCTAssertGreaterThan(points.count, 20)
        XCTAssertLessThanOrEqual(points.map { $0[1] }.max() ?? 1, top + 1e-9)
    }

    /// Too few reachable cells for the niches asked (or a seed over the limits): nil, the uniform box.
    func testTooFewCellsFallBackToTheBox() throws {
        let s = try setting()
        XCTAssertNil(ReachableNiches.centroids(count: 500, seeds: [s.seed], space: s.space, limits: s.limits, seed: 1))
        let tight = SearchLimits(maxParameters: 10)
        XCTAssertNil(ReachableNiches.centroids(count: 10, seeds: [s.seed], space: s.space, limits: tight, seed: 1))
        var config = TestRun.config()
        config.niches = 3
        config.nicheCentroids = [[0.1, 0.1], [0.5, 0.5], [0.9, 0.2]]
        XCTAssertEqual(SearchState(config: config).networks.centroids, config.nicheCentroids)
        config.nicheCentroids = nil
        XCTAssertEqual(SearchState(config: config).networks.centroids, CVT.centroids(count: 3, dimensions: 2, seed: config.seed))
    }
}
