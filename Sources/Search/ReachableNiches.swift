import Foundation
import NetIR

/// Niche centroids over the part of the descriptor box networks can reach, not over the whole box.
///
/// CVT-MAP-Elites spreads its centroids uniformly over the unit box. Our box is cut from the limits and the
/// data set's shape (`DescriptorBounds`), but its corners still hold combinations no network of these edits
/// has (a 14-layer network 10 wide at 10 kFLOPs): on Fashion-MNIST a third of the 50 niches lay where none of
/// 45 children of a 10-minute run could go, so coverage measured the box, not the search. Here random walks of
/// rule edits from the seed network (no training: edits and shape inference only, well under a second) map
/// where networks exist; the centroids are then the CVT of uniform samples of the box kept within `reach` of
/// a walked network, so niches are spread evenly over the reachable region (its density does not matter: a
/// region the walks visit once gets as many niches as one they visit a hundred times).
public enum ReachableNiches {
    /// Random walks from the seed; each records every network it passes.
    public static let walks = 400
    /// Edits per walk, at most (a walk's length is drawn uniformly from 1 ... this).
    public static let maxEdits = 14
    /// A uniform sample counts as reachable within this distance (unit box) of a walked network: about half
    /// the spacing of 50 evenly spread niches (1 / sqrt(50) = 0.14), so the region is not cut to the walks' lines.
    public static let reach = 0.07
    /// Fewer walked networks than this: the walks say too little, the uniform box is used.
    public static let minimumNetworks = 50

    /// `count` centroids inside the reachable part of `space`, or nil when the walks find too few networks
    /// (then the caller keeps the uniform CVT). Deterministic in (`seedNetwork`, `space`, `limits`, `seed`).
    public static func centroids(count: Int, seedNetwork: Graph, space: DescriptorSpace, limits: SearchLimits,
                                 seed: UInt64) -> [[Double]]? {
        let points = walkedDescriptors(from: seedNetwork, space: space, limits: limits, seed: seed)
        guard points.count >= minimumNetworks, count > 0 else { return nil }
        var rng = SearchRandom(seed: seed, 0x2EAC)
        var region: [[Double]] = []
        let wanted = 50 * count
        // Uniform samples of the box, kept near a walked network; bounded tries so a thin region cannot loop.
        for _ in 0..<(wanted * 20) where region.count < wanted {
            let u = [rng.unit(), rng.unit()]
            if points.contains(where: { distance($0, u) <= reach }) { region.append(u) }
        }
        guard region.count >= count else { return nil }
        return CVT.centroids(count: count, of: region)
    }

    /// Normalised descriptors of the networks random rule edits reach from `seedNetwork`, inside the box and
    /// the limits (a network outside them is walked through, not recorded).
    static func walkedDescriptors(from seedNetwork: Graph, space: DescriptorSpace, limits: SearchLimits, seed: UInt64) -> [[Double]] {
        var rng = SearchRandom(seed: seed, 0x3A1C)
        let instructions = MutationInstruction.allCases.filter { $0 != .addRecurrent }
        var points: [[Double]] = []
        for _ in 0..<walks {
            var g = seedNetwork
            let length = 1 + Int(rng.next() % UInt64(maxEdits))
            for _ in 0..<length {
                guard let instruction = rng.pick(instructions),
                      let (child, _) = try? RuleMutator.edit([g], operation: .mutation(instruction), attempts: 4, rng: &rng),
                      let cost = try? child.cost() else { continue }
                // Walks stay within the limits: beyond them no child is ever trained.
                guard cost.parameters <= limits.maxParameters, cost.activations <= limits.maxActivations else { continue }
                g = child
                if let d = inside(space, cost) { points.append(d) }
            }
        }
        return points
    }

    /// The normalised descriptor, or nil when the network lies outside the box on either axis.
    static func inside(_ space: DescriptorSpace, _ cost: NetworkCost) -> [Double]? {
        let r = log10(max(cost.depthWidthRatio, 1e-9)), f = log10(max(Double(cost.flops), 1))
        guard space.log10RatioRange.contains(r), space.log10FlopsRange.contains(f) else { return nil }
        return space.descriptor(cost)
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1])).squareRoot()
    }
}
