import Engine
import NetIR

/// Rows of the op table for the ops that model-written PyTorch brought in: arithmetic, pads, row norms, local
/// response norm, PReLU, slices, upsampling, transposed convolution and permutes.
extension OpTable {
    static func arithmeticCases() throws -> [OpCase] {
        let g = try classifier(image(5, 7, 9)) { b, x in
            let stem = try b.conv2d("stem", x, out: 6, kernel: 3, padding: 1)
            let squeezed = try b.add("view1", .reshape(dims: [6]), [try b.add("pool", .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), [stem])])
            let gate = try b.add("view2", .reshape(dims: [6, 1, 1]), [try b.activation("gate", try b.linear("excite", squeezed, out: 6), .sigmoid)])
            let gated = try b.add("mul", .multiply, [stem, gate])
            let dropped = try b.add("drop", .dropout2d(p: 0.3), [gated])
            return try b.add("affine", .affine(scale: 0.5, shift: -0.25), [try b.add("sq", .multiply, [dropped, gated])])
        }
        return [OpCase(.arithmetic, "gate, square, affine", g, batches: [1, 3])]
    }

    static func paddingCases() throws -> [OpCase] {
        let g = try classifier(image(3, 7, 9)) { b, x in
            let stem = try b.conv2d("stem", x, out: 4, kernel: 3, padding: 1)
            let reflect = try b.add("reflect", .pad(PadAttributes(left: 2, right: 1, top: 1, bottom: 3, mode: .reflect)), [stem])
            let replicate = try b.add("replicate", .pad(PadAttributes(left: 0, right: 3, top: 2, bottom: 1, mode: .replicate)), [reflect])
            let constant = try b.add("constant", .pad(PadAttributes(left: 1, right: 0, top: 0, bottom: 2, mode: .constant, value: 0.25)), [replicate])
            let conv = try b.conv2d("conv", constant, out: 4, kernel: 3)                        // 16 x 13 -> 14 x 11
            let dropped = try b.add("alpha", .alphaDropout(p: 0.2, feature: false), [conv])
            let features = try b.add("feature", .alphaDropout(p: 0.3, feature: true), [dropped])
            return try b.add("pool", .adaptiveMaxPool2d(outHeight: 7, outWidth: 1), [features])
        }
        return [OpCase(.padding, "pads, alpha dropouts, adaptive max", g, batches: [1, 3])]
    }

    /// GroupNorm / InstanceNorm / LayerNorm (the rowNorm op), with and without affine.
    static func rowNormCases() throws -> [OpCase] {
        let groups: [(TensorShape, GroupNormAttributes, Int)] = [
            (image(8, 5, 3), GroupNormAttributes(groups: 2, channels: 8), 3),
            (image(6, 1, 1), GroupNormAttributes(groups: 3, channels: 6, affine: false), 2),
            (image(33, 3, 5), GroupNormAttributes(groups: 11, channels: 33, eps: 1e-3), 2),
            (image(3, 7, 9), GroupNormAttributes(groups: 3, channels: 3), 1),
            (image(4, 4, 4), GroupNormAttributes(groups: 1, channels: 4), 5),
            (TensorShape(features: 12), GroupNormAttributes(groups: 4, channels: 12), 3),
        ]
        let layers: [(TensorShape, LayerNormAttributes, Int)] = [
            (image(3, 5, 4), LayerNormAttributes(shape: [3, 5, 4]), 3),
            (image(3, 5, 4), LayerNormAttributes(shape: [4], eps: 1e-6), 2),
            (image(2, 3, 33), LayerNormAttributes(shape: [3, 33], bias: false), 2),
            (TensorShape(features: 65), LayerNormAttributes(shape: [65]), 5),
            (TensorShape(features: 31), LayerNormAttributes(shape: [31], affine: false), 1),
        ]
        let rows = groups.map { ("GroupNorm \($1.groups)/\($1.channels) on \($0)", $0, Layer.groupNorm($1), $2) }
            + layers.map { ("LayerNorm \($1.shape) on \($0)", $0, Layer.layerNorm($1), $2) }
        return try rows.map { name, shape, layer, batch in
            let g = try stemmed(shape, bias: false) { b, x in try b.relu("relu", try b.add("norm", layer, [x])) }
            return OpCase(.rowNorm, name, g, batches: [batch], fuse: [true], steps: 2)
        }
    }

    /// LocalResponseNorm and F.normalize (the localResponseNorm op).
    static func localResponseNormCases() throws -> [OpCase] {
        let rows: [(TensorShape, Layer, Int)] = [
            (image(8, 5, 3), .localResponseNorm(LocalResponseNormAttributes(size: 2)), 3),
            (image(33, 3, 5), .localResponseNorm(LocalResponseNormAttributes(size: 5, alpha: 0.5, beta: 0.6, k: 2)), 2),
            (image(3, 7, 9), .localResponseNorm(LocalResponseNormAttributes(size: 7, alpha: 1)), 1),
            (TensorShape(features: 65), .l2Normalize(eps: 1e-12), 5),
            (image(6, 2, 3), .l2Normalize(eps: 1e-12), 2),
        ]
        return try rows.map { shape, layer, batch in
            OpCase(.localResponseNorm, "\(layer) on \(shape)", try stemmed(shape) { b, x in try b.add("norm", layer, [x]) },
                   batches: [batch], fuse: [true], steps: 2)
        }
    }

    static func preluCases() throws -> [OpCase] {
        let rows: [(TensorShape, Int, Int)] = [
            (image(8, 5, 3), 1, 3), (image(33, 3, 5), 33, 2), (image(3, 7, 9), 3, 1),
            (TensorShape(features: 65), 65, 5), (TensorShape(features: 31), 1, 2),
        ]
        return try rows.map { shape, slopes, batch in
            OpCase(.prelu, "PReLU(\(slopes)) on \(shape)", try stemmed(shape) { b, x in try b.add("prelu", .prelu(slopes: slopes), [x]) },
                   batches: [batch], fuse: [true], steps: 2)
        }
    }

    /// Channel slices (copies and fills) feeding a product and a sum.
    static func sliceCases() throws -> [OpCase] {
        let g = try classifier(image(3, 7, 9)) { b, x in
            let stem = try b.conv2d("stem", x, out: 7, kernel: 3, padding: 1)
            let low = try b.add("low", .slice(start: 0, count: 3), [stem])
            let high = try b.add("high", .slice(start: 4, count: 3), [stem])
            let middle = try b.add("middle", .slice(start: 2, count: 3), [stem])
            return try b.add("sum", .add, [try b.add("mul", .multiply, [low, high]), middle])
        }
        return [OpCase(.slice, "slices", g, batches: [1, 3])]
    }

    static func upsampleCases() throws -> [OpCase] {
        let modes = [UpsampleAttributes(scale: Pair(2)), UpsampleAttributes(size: Pair(11, 13), bilinear: true),
                     UpsampleAttributes(scale: Pair(3, 2), bilinear: true), UpsampleAttributes(size: Pair(4, 5), bilinear: true)]
        return try modes.map { a in
            let g = try classifier(image(3, 7, 9)) { b, x in
                let up = try b.add("up", .upsample(a), [try b.conv2d("stem", x, out: 5, kernel: 3, padding: 1)])
                return try b.conv2d("conv", up, out: 4, kernel: 3, padding: 1)
            }
            return OpCase(.upsample, "upsample \(a)", g, batches: [1, 3])
        }
    }

    static func convTransposeCases() throws -> [OpCase] {
        typealias A = ConvTranspose2dAttributes
        let rows = [A(inChannels: 6, outChannels: 5, kernel: Pair(2), stride: Pair(2)),
                    A(inChannels: 6, outChannels: 4, kernel: Pair(3), stride: Pair(2), padding: Pair(1), outputPadding: Pair(1)),
                    A(inChannels: 6, outChannels: 6, kernel: Pair(3), padding: Pair(1), groups: 6, bias: false)]
        return try rows.map { a in
            let g = try classifier(image(3, 7, 9)) { b, x in
                try b.relu("relu", try b.add("up", .convTranspose2d(a), [try b.conv2d("stem", x, out: 6, kernel: 3, padding: 1)]))
            }
            return OpCase(.convTranspose, "convTranspose \(a)", g, batches: [1, 3])
        }
    }

    /// Permutes and a Linear over tokens.
    static func permuteCases() throws -> [OpCase] {
        let g = try classifier(image(3, 7, 9)) { b, x in
            let stem = try b.conv2d("stem", x, out: 5, kernel: 3, padding: 1)
            let hwc = try b.add("hwc", .permute(order: [1, 2, 0]), [stem])
            let tokens = try b.add("tokens", .reshape(dims: [63, 5]), [hwc])
            let projected = try b.add("proj", .linear(inFeatures: 5, outFeatures: 6, bias: true), [tokens])
            let swapped = try b.add("swap", .permute(order: [1, 0]), [projected])
            return try b.add("mix", .permute(order: [2, 0, 1]), [try b.add("view", .reshape(dims: [6, 7, 9]), [swapped])])
        }
        return [OpCase(.permute, "permutes and tokens", g, batches: [1, 3])]
    }
}
