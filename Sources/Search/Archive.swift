/// One niche's occupant.
public struct Elite<Payload: Codable & Sendable>: Codable, Sendable {
    public var niche: Int
    /// Normalised descriptor in [0, 1]^d.
    public var descriptor: [Double]
    public var fitness: Double
    public var payload: Payload
}

/// What an insertion did.
public enum InsertionOutcome: String, Codable, Sendable {
    /// The niche was empty.
    case newNiche = "new"
    /// The niche held a worse elite, now replaced.
    case improved
    /// The niche holds an elite at least as fit.
    case rejected

    public var entered: Bool { self != .rejected }
}

/// A CVT-MAP-Elites archive: a fixed set of centroids in the unit box, one elite per niche, insert-if-better.
public struct CVTArchive<Payload: Codable & Sendable>: Codable, Sendable {
    public let centroids: [[Double]]
    /// Occupied niches, by niche index.
    public private(set) var elites: [Int: Elite<Payload>]

    public init(centroids: [[Double]]) {
        self.centroids = centroids
        elites = [:]
    }

    public init(niches: Int, dimensions: Int = 2, seed: UInt64) {
        self.init(centroids: CVT.centroids(count: niches, dimensions: dimensions, seed: seed))
    }

    /// The niche a descriptor falls in; coordinates are clamped into the box first (NaN counts as 0).
    public func niche(for descriptor: [Double]) -> Int {
        CVT.nearest(Self.clamp(descriptor), in: centroids)
    }

    static func clamp(_ d: [Double]) -> [Double] { d.map { $0.isNaN ? 0 : min(max($0, 0), 1) } }

    /// Puts the candidate in its niche if the niche is empty or holds a strictly less fit elite.
    /// A NaN fitness never enters.
    @discardableResult
    public mutating func insert(descriptor: [Double], fitness: Double, payload: Payload) -> InsertionOutcome {
        guard !fitness.isNaN else { return .rejected }
        let d = Self.clamp(descriptor)
        let n = CVT.nearest(d, in: centroids)
        let outcome: InsertionOutcome
        if let current = elites[n] {
            guard fitness > current.fitness else { return .rejected }
            outcome = .improved
        } else {
            outcome = .newNiche
        }
        elites[n] = Elite(niche: n, descriptor: d, fitness: fitness, payload: payload)
        return outcome
    }

    /// Replaces the payload of a niche's elite in place (for bookkeeping such as curiosity).
    public mutating func update(niche: Int, _ change: (inout Elite<Payload>) -> Void) {
        guard var e = elites[niche] else { return }
        change(&e)
        elites[niche] = e
    }

    public var count: Int { elites.count }
    public var coverage: Double { centroids.isEmpty ? 0 : Double(elites.count) / Double(centroids.count) }

    /// Elites sorted by fitness, best first (ties: lower niche first, so the order is deterministic).
    public var ranked: [Elite<Payload>] {
        elites.values.sorted { $0.fitness != $1.fitness ? $0.fitness > $1.fitness : $0.niche < $1.niche }
    }

    public var best: Elite<Payload>? { ranked.first }

    // JSON: elites as a list sorted by niche (dictionary keys would become strings and lose order).
    enum CodingKeys: String, CodingKey { case centroids, elites }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        centroids = try c.decode([[Double]].self, forKey: .centroids)
        let list = try c.decode([Elite<Payload>].self, forKey: .elites)
        elites = Dictionary(list.map { ($0.niche, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(centroids, forKey: .centroids)
        try c.encode(elites.values.sorted { $0.niche < $1.niche }, forKey: .elites)
    }
}
