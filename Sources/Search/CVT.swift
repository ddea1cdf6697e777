/// Centroidal Voronoi tessellation of the unit box, as CVT-MAP-Elites builds it: k-means (Lloyd) over
/// uniform samples. Everything is seeded, so a run's niches are a pure function of (k, dimensions, seed).
public enum CVT {
    /// `count` distinct centroids inside [0, 1]^dimensions.
    public static func centroids(count: Int, dimensions: Int, seed: UInt64, samples: Int? = nil,
                                 iterations: Int = 30) -> [[Double]] {
        guard count > 0, dimensions > 0 else { return [] }
        var rng = SearchRandom(seed: seed, 0xC1_7)
        let n = max(samples ?? 50 * count, count)
        let points: [[Double]] = (0..<n).map { _ in (0..<dimensions).map { _ in rng.unit() } }
        return centroids(count: count, points: points, iterations: iterations)
    }

    /// `count` centroids by k-means over `points` (at least `count` of them, distinct: the first `count` start
    /// it; uniform samples are distinct with certainty).
    public static func centroids(count: Int, points: [[Double]], iterations: Int = 30) -> [[Double]] {
        guard count > 0, let dimensions = points.first?.count, points.count >= count else { return [] }
        let n = points.count
        var centres = Array(points.prefix(count))
        var assignment = [Int](repeating: 0, count: n)
        for _ in 0..<iterations {
            var sums = [[Double]](repeating: [Double](repeating: 0, count: dimensions), count: count)
            var sizes = [Int](repeating: 0, count: count)
            var moved = false
            for (i, p) in points.enumerated() {
                let c = nearest(p, in: centres)
                if c != assignment[i] { moved = true; assignment[i] = c }
                sizes[c] += 1
                for d in 0..<dimensions { sums[c][d] += p[d] }
            }
            for c in 0..<count {
                if sizes[c] > 0 {
                    centres[c] = sums[c].map { $0 / Double(sizes[c]) }
                } else {
                    // An empty cell takes the sample farthest from its centre, so no two centroids coincide.
                    centres[c] = farthestSample(points, assignment, centres)
                    moved = true
                }
            }
            if !moved { break }
        }
        return centres
    }

    /// Index of the centre nearest to `p` (Euclidean; ties go to the lower index).
    public static func nearest(_ p: [Double], in centres: [[Double]]) -> Int {
        var best = 0
        var bestDistance = Double.infinity
        for (i, c) in centres.enumerated() {
            var d = 0.0
            for k in 0..<min(p.count, c.count) { let x = p[k] - c[k]; d += x * x }
            if d < bestDistance { bestDistance = d; best = i }
        }
        return best
    }

    static func farthestSample(_ points: [[Double]], _ assignment: [Int], _ centres: [[Double]]) -> [Double] {
        var best = points[0]
        var bestDistance = -1.0
        for (i, p) in points.enumerated() {
            let c = centres[assignment[i]]
            var d = 0.0
            for k in 0..<p.count { let x = p[k] - c[k]; d += x * x }
            if d > bestDistance { bestDistance = d; best = p }
        }
        return best
    }
}
