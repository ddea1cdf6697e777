/// How `--run-time T` divides one run's wall time (search plus final network). Rule: the search starts
/// generations until `searchShare` x T (a generation predicted to end later is not started, see
/// `mayStart`); within that share, exploring (every child a short training) runs until `exploreShare` of it
/// and promoting (the fittest few trained longer from their weights) takes the rest; the final network gets
/// whatever is left of T when the search ends, less `margin` seconds for writing the report and files.
///
/// Why these shares (measured on Fashion-MNIST, 2 cores): a from-scratch retrain of a 90%+ network needs
/// about 5 minutes for 93%; exploring past ~150 short children rarely finds a better elite, so half of 11
/// minutes goes to each side.
public struct RunTimeSplit: Sendable, Equatable, Codable {
    public static let searchShare = 0.5
    public static let exploreShare = 0.8
    public static let margin = 15.0
    /// Without `--time-budget`, one child may train at most this share of the exploring time: a child that
    /// takes more than a minute (wide layers on a 28x28 map) otherwise uses a third of it (measured: 21 children
    /// in 264 s, one of them 83 s). A tenth was too tight: it cut the lineages of the 20-40-s networks the best
    /// final networks came from (90.0% test instead of 92.8% on seed 0).
    public static let childShare = 0.25
    /// Seconds for the whole run.
    public var total: Double

    public init(total: Double) { self.total = total }

    /// Seconds after which no generation starts.
    public var searchSeconds: Double { total * Self.searchShare }
    /// Seconds after which exploring stops and promotion begins.
    public var exploreSeconds: Double { searchSeconds * Self.exploreShare }
    /// The default time budget of one child.
    public var childSeconds: Double { exploreSeconds * Self.childShare }

    /// Seconds the final network may train when the search ended `elapsed` seconds into the run (never negative).
    public func finalSeconds(elapsed: Double) -> Double { max(0, total - elapsed - Self.margin) }

    /// Whether work predicted to take `predicted` seconds may start `elapsed` seconds in, given the phase's
    /// `limit`: only when it is predicted to end in time (an unknown prediction, 0, starts while time is left).
    public static func mayStart(elapsed: Double, predicted: Double, limit: Double) -> Bool {
        elapsed < limit && elapsed + max(predicted, 0) <= limit
    }
}
