/// The shape of one sample, without the batch dimension: `[C, H, W]` for images, `[F]` for features.
public struct TensorShape: Hashable, Codable, Sendable, CustomStringConvertible {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(channels: Int, height: Int, width: Int) { dims = [channels, height, width] }
    public init(features: Int) { dims = [features] }

    public var rank: Int { dims.count }
    /// Elements per sample.
    public var count: Int { dims.reduce(1, *) }
    public var isImage: Bool { dims.count == 3 }
    public var channels: Int { dims.first ?? 0 }
    public var height: Int { dims.count == 3 ? dims[1] : 1 }
    public var width: Int { dims.count == 3 ? dims[2] : 1 }
    /// Elements per channel (H*W for images, 1 for feature vectors).
    public var spatial: Int { dims.count == 3 ? dims[1] * dims[2] : 1 }

    /// `1x28x28`, the notation the command line uses.
    public var description: String { dims.map(String.init).joined(separator: "x") }

    /// Parses `3x32x32` or `10`; nil for anything else, and for a shape beyond `SizeLimits`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "x").map { Int($0) }
        guard !parts.isEmpty, parts.count != 2, parts.count <= 3, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        dims = parts.compactMap { $0 }
        guard checkedCount != nil else { return nil }
    }
}
