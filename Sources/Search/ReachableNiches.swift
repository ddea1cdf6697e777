import Foundation
import NetIR

/// Niches where networks can be. CVT-MAP-Elites places its centroids by k-means over uniform samples of the
/// descriptor box, but much of the depth/width x FLOPs box holds no network: nothing is both very wide and
/// nearly free (a 512-wide layer on a 28x28 input costs 0.8 MFLOPs), and a network deeper than its width needs
/// a long chain of narrow layers. Measured (`scripts/run` seed 1, 50 uniform niches, this machine kind): no
/// child came left of 0.19 or right of 0.83 on the depth/width axis, and 19 of the 50 centroids lay there; the
/// 29 children filled 15 niches.
///
/// So a free-form run places its centroids over the networks the rule edits reach from the seed: `walks`
/// random walks of up to `steps` edits (every instruction equally likely), each edit kept only while the
/// network stays within the limits and the FLOPs top of the box (what a child trains within its time budget).
/// The descriptors are thinned to one per cell of a `grid` x `grid` lattice, so the centroids tile the
/// reachable region evenly instead of crowding where walks linger (near the seed), and then k-means places
/// the niches over them. Every niche then holds at least one network the rules can make; coverage says how
/// much of what exists the archive holds.
public enum ReachableNiches {
    public static let walks = 96
    public static let steps = 12
    public static let grid = 48
    /// Fewer distinct cells than this many per niche and the reachable set is too thin to place niches on:
    /// the uniform box is used.
    public static let minimumCellsPerNiche = 3

    /// The instructions a walk draws from: every edit the rule mutator makes.
    static let instructions = MutationInstruction.allCases.filter { $0 != .addRecurrent }

    /// Descriptors (normalised, in the box) of networks the rule edits reach from `seeds`, thinned to one per
    /// lattice cell, in the order first found.
    public static func samples(seeds: [Graph], space: DescriptorSpace, limits: SearchLimits, seed: UInt64,
                               walks: Int = walks, steps: Int = steps) -> [[Double]] {
        let flopsTop = pow(10, space.log10FlopsRange.upperBound)
        func admits(_ cost: NetworkCost) -> Bool { limits.exceeded(by: cost) == nil && Double(cost.flops) <= flopsTop }
        var rng = SearchRandom(seed: seed, 0x2EAC)
        var cells = Set<Int>()
        var points: [[Double]] = []
        func note(_ cost: NetworkCost) {
            let d = CVTArchive<Int>.clamp(space.descriptor(cost))
            let cell = d.reduce(0) { $0 * (grid + 1) + Int(($1 * Double(grid)).rounded(.down)) }
            if cells.insert(cell).inserted { points.append(d) }
        }
        var starts: [Graph] = []
        for seedGraph in seeds {
            guard let cost = try? seedGraph.cost(), admits(cost) else { continue }
            starts.append(seedGraph)
            note(cost)
        }
        guard !starts.isEmpty else { return points }
        for w in 0..<walks {
            var graph = starts[w % starts.count]
            for _ in 0..<steps {
                guard let m = rng.pick(instructions),
                      let (next, _) = try? RuleMutator.edit([graph], operation: .mutation(m), attempts: 4, rng: &rng),
                      let cost = try? next.cost(), admits(cost) else { continue }
                graph = next
                note(cost)
            }
        }
        return points
    }

    /// `count` centroids over the reachable set (`samples`); nil when it has too few cells for that many niches.
    public static func centroids(count: Int, seeds: [Graph], space: DescriptorSpace, limits: SearchLimits,
                                 seed: UInt64) -> [[Double]]? {
        let points = samples(seeds: seeds, space: space, limits: limits, seed: seed)
        guard count > 0, points.count >= count * minimumCellsPerNiche else { return nil }
        return CVT.centroids(count: count, points: points)
    }
}
