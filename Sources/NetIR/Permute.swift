/// `x.permute(0, ...)` / `x.transpose(a, b)` over the per-sample dimensions (the batch stays first): output
/// dimension k is input dimension `order[k]`. At most `Layer.permuteRank` dimensions.
extension Layer {
    public static let permuteRank = 4

    /// The problem with permuting `x` by `order`, or nil.
    static func permuteProblem(_ order: [Int], _ x: TensorShape) -> String? {
        guard order.count == x.rank, order.sorted() == Array(0..<x.rank) else {
            return "permutation \(order) does not reorder the \(x.rank) dimensions of \(x)"
        }
        guard x.rank <= permuteRank else { return "permuting more than \(permuteRank) dimensions after the batch is not supported" }
        return nil
    }
}
