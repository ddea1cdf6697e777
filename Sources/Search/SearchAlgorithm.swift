/// How the search selects its children from the archives (`SearchConfig.algorithm`, `--algorithm`). Both
/// are quality-diversity searches run by the same code: the network archive (CVT-MAP-Elites over depth/width
/// and FLOPs, insert-if-better per niche), the prompt archive with per-instruction curiosity (+1 / -0.5) and
/// LLMatic's temperature rules are kept and fed alike, and neither ever reads test accuracy. They differ in
/// two rules, measured on NAS-Bench-201 (docs/nb201.md):
///
/// | rule                    | llmatic                                      | elite-curious                                   |
/// |-------------------------|----------------------------------------------|-------------------------------------------------|
/// | parent of a child       | uniform among the `selectionPool` fittest    | the fittest (incumbent) with probability 1/2,   |
/// |                         |                                              | else as llmatic                                 |
/// | end of the seed phase   | `--initial` networks or 2 x `--initial` kids | 40% of `--initial` networks (4 of 10) or twice  |
/// |                         |                                              | that many children                              |
///
/// Prompts (the `selectionPool` most curious), the mutation/crossover split and the second crossover parent
/// are LLMatic's in both.
public enum SearchAlgorithm: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// LLMatic as published (Nasir et al. 2023) and as this program selected before the choice existed.
    case llmatic
    /// LLMatic's quality-diversity search with more pressure on the incumbent and a shorter seed phase.
    case eliteCurious = "elite-curious"

    /// What a new run uses.
    public static let standard = SearchAlgorithm.eliteCurious

    /// elite-curious: the share of parents that are the archive's fittest network. 0.5 and 0.7 measured
    /// alike at 200 queries; 0.5 keeps half the parents spread over the pool (docs/nb201.md).
    public static let incumbentShare = 0.5

    /// Networks the archive must hold before selection starts (the seed phase also ends after twice as many
    /// children).
    public func seedPhaseNetworks(initial: Int) -> Int {
        switch self {
        case .llmatic: return initial
        case .eliteCurious: return max(1, initial * 2 / 5)
        }
    }

    public var description: String { rawValue }
}
