/// Quality-diversity measures of an archive, the figures QD papers compare on.
public enum QualityDiversity {
    /// QD-score: the sum of fitness over filled niches (non-finite fitness counts 0).
    public static func score<P>(_ archive: CVTArchive<P>) -> Double {
        score(archive.elites.values.map(\.fitness))
    }

    public static func score(_ fitness: [Double]) -> Double {
        fitness.reduce(0) { $0 + ($1.isFinite ? $1 : 0) }
    }
}
