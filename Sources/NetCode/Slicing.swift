import NetIR

/// Channel slices: `x[:, a:b]`, `x[:, k]`, `x[:, :, None, None]`, `x.chunk(n, dim=1)`, `torch.split(x, s, dim=1)`.
/// Each taken range is one Slice node over the channels (PyTorch's dim 1); `None` and an integer index only
/// change the view (a Reshape). Other dimensions can be kept whole (`:`) but not sliced.
extension Interpreter {
    /// One Slice node for channels `start ..< start + count`; the whole range is `x` itself.
    func sliceChannels(_ x: Int, start: Int, count: Int, at e: Expr) throws -> Int {
        if start == 0 && count == shape(x).channels { return x }
        guard case .tensor(let v) = try addNode(.slice(start: start, count: count), [x], name: graph?.synthetic("slice_") ?? "slice",
                                                module: nil, at: e, definedBy: nil) else { return x }
        return v
    }

    /// `dim` of a chunk or split, which must be the channels (1, or its negative spelling).
    private func channelDimension(_ x: Int, _ b: BoundArguments, _ callee: String) throws {
        guard case .int(let d) = b["dim"] else { throw b.fail("dim must be an integer", "dim") }
        let rank = shape(x).rank
        guard (d < 0 ? d + rank + 1 : d) == 1 else {
            throw b.fail("\(callee) along dim=\(d) is not supported (only dim=1, the channels or features)", "dim", kind: .unsupportedOption)
        }
    }

    /// Consecutive slices of the given sizes, as the tuple PyTorch returns.
    private func pieces(_ x: Int, _ sizes: [Int], at e: Expr) throws -> Value {
        var start = 0
        var items: [Value] = []
        for size in sizes {
            items.append(.tensor(try sliceChannels(x, start: start, count: size, at: e)))
            start += size
        }
        return .tuple(items)
    }

    /// `x.chunk(chunks, dim=1)`: pieces of ceil(C / chunks) channels, the last one smaller (PyTorch's rule, which
    /// may return fewer than `chunks` pieces).
    func chunk(_ x: Int, _ b: BoundArguments, _ callee: String, at e: Expr) throws -> Value {
        try channelDimension(x, b, callee)
        guard case .int(let n) = b["chunks"], n > 0 else { throw b.fail("chunks must be a positive integer", "chunks") }
        let c = shape(x).channels
        let size = (c + n - 1) / n
        return try pieces(x, stride(from: 0, to: c, by: size).map { min(size, c - $0) }, at: e)
    }

    /// `torch.split(x, size, dim=1)` (pieces of `size`, the last one smaller) or `torch.split(x, [s0, s1, ...], dim=1)`
    /// (sections that must add up to the channels).
    func split(_ x: Int, _ b: BoundArguments, _ argument: String, _ callee: String, at e: Expr) throws -> Value {
        try channelDimension(x, b, callee)
        let c = shape(x).channels
        if case .int(let size) = b[argument] {
            guard size > 0 else { throw b.fail("the split size must be positive", argument) }
            return try pieces(x, stride(from: 0, to: c, by: size).map { min(size, c - $0) }, at: e)
        }
        guard let items = b[argument].sequenceItems else { throw b.fail("\(argument) must be an integer or a list of integers", argument) }
        var sizes: [Int] = []
        for item in items {
            guard case .int(let s) = item, s >= 0 else { throw b.fail("split sections must be non-negative integers", argument) }
            sizes.append(s)
        }
        guard sizes.reduce(0, +) == c else {
            throw b.fail("split sections \(sizes) do not add up to the \(c) channels", argument)
        }
        guard !sizes.contains(0) else { throw b.fail("empty split sections are not supported", argument, kind: .unsupportedOption) }
        return try pieces(x, sizes, at: e)
    }

    /// `x[:, ...]`: the batch whole, then per dimension `:` (kept), `a:b` or `k` on the channels (a Slice; `k` drops
    /// the dimension), `None` (a new dimension of 1). Missing trailing indices keep their dimensions.
    func tensorIndex(_ x: Int, _ index: Value, at e: Expr) throws -> Value {
        let items = index.sequenceItems ?? [index]
        func refuse(_ why: String) -> SourceError {
            fail("indexing a tensor: \(why)", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.tensorIndexing))
        }
        guard case .slice(nil, nil, nil)? = items.first else { throw refuse("the first index must be ':' (the whole batch)") }
        let dims = shape(x).dims
        var position = 0
        var result: [Int] = []
        var taken: (start: Int, count: Int)?
        for item in items.dropFirst() {
            switch item {
            case .none:
                result.append(1)
            case .slice(let lower, let upper, let step):
                guard position < dims.count else { throw refuse("too many indices for a tensor of shape [batch, \(shape(x))]") }
                guard step == nil || step == 1 else { throw refuse("slices with a step are not supported") }
                if lower != nil || upper != nil {
                    guard position == 0 else { throw refuse("only the channels (dim 1) can be sliced") }
                    let indices = try sliceIndices(dims[0], item, at: e)
                    guard let first = indices.first else { throw refuse("the slice is empty") }
                    taken = (first, indices.count)
                    result.append(indices.count)
                } else {
                    result.append(dims[position])
                }
                position += 1
            case .int(let k):
                guard position < dims.count else { throw refuse("too many indices for a tensor of shape [batch, \(shape(x))]") }
                guard position == 0 else { throw refuse("only the channels (dim 1) can take an integer index") }
                let j = k < 0 ? k + dims[0] : k
                guard j >= 0, j < dims[0] else { throw fail("index \(k) is out of range for \(dims[0]) channels", at: e) }
                taken = (j, 1)
                position += 1
            case .opaque:
                throw refuse("an Ellipsis (...) index is not supported; write ':' for each dimension")
            default:
                throw refuse("indices must be ':', a channel range 'a:b', a channel number or None, got \(item.typeName)")
            }
        }
        result += dims.dropFirst(position)
        guard !result.isEmpty else { throw refuse("selecting one feature of a [batch, features] tensor is not supported") }
        var v = x
        if let taken { v = try sliceChannels(x, start: taken.start, count: taken.count, at: e) }
        return try view(v, result, at: e)
    }
}
