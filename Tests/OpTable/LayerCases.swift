import Engine
import NetIR

/// Rows of the op table for the classic layers: batch norm, activations, pools, dropout, add and concat, the
/// output layers and the loss, and each optimizer.
extension OpTable {
    static func batchNormCases() throws -> [OpCase] {
        let images: [(TensorShape, Bool, Int)] = [(image(1, 3, 5), true, 1), (image(3, 1, 1), true, 2), (image(32, 4, 4), true, 5),
                                                  (image(33, 3, 5), false, 2), (image(3, 5, 4), true, 5)]
        let planes = try images.map { shape, affine, batch in
            let g = try classifier(shape) { b, x in
                let c = try b.conv2d("stem", x, out: shape.channels, kernel: 1, bias: false)
                let a = BatchNormAttributes(features: shape.channels, dimensions: 2, eps: 1e-3, momentum: 0.2, affine: affine)
                return try b.relu("relu", try b.add("bn", .batchNorm(a), [c]))
            }
            return OpCase(.batchNorm, "batchNorm2d \(shape) affine \(affine)", g, batches: [batch])
        }
        let features = try [(1, 2), (3, 1), (33, 5), (64, 2)].map { count, batch in
            let g = try classifier(TensorShape(features: count)) { b, x in
                let h = try b.linear("stem", x, out: count, bias: false)
                return try b.activation("act", try b.batchNorm("bn", h), .leakyRelu(slope: 0.2))
            }
            return OpCase(.batchNorm, "batchNorm1d \(count)", g, batches: [batch])
        }
        // Two steps: the second normalises with the running statistics the first updated (in eval too).
        let silu = try classifier(TensorShape(features: 7)) { b, x in
            try b.activation("silu", try b.batchNorm("bn", try b.linear("fc1", x, out: 5)), .silu)
        }
        // The ReLU folded into a batch norm's epilogue: its backward pair becomes batchNormReluBackward where the
        // backend supports it (`Fusion.batchNormRelu`), here accumulating into dx (the stem also feeds the add) and
        // without an affine; and a batch norm whose output also feeds a residual add, where the ReLU stays apart and
        // its backward accumulates, so the pair is not fused.
        let reluResidual = try [(false, 3), (true, 1)].map { affine, batch in
            let g = try classifier(image(5, 6, 7)) { b, x in
                let c = try b.conv2d("stem", x, out: 5, kernel: 3, padding: 1, bias: false)
                let a = BatchNormAttributes(features: 5, dimensions: 2, eps: 1e-5, momentum: 0.1, affine: affine)
                return try b.addValues("add", try b.relu("relu", try b.add("bn", .batchNorm(a), [c])), c)
            }
            return OpCase(.batchNorm, "batchNorm2d + relu, input also added (fused backward, dx accumulates) affine \(affine)", g,
                          batches: [batch], steps: 2)
        }
        let sharedOutput = try classifier(image(4, 5, 5)) { b, x in
            let n = try b.batchNorm("bn", try b.conv2d("stem", x, out: 4, kernel: 3, padding: 1, bias: false))
            return try b.addValues("add", try b.relu("relu", n), n)
        }
        // A batch norm straight into a residual add (`Fusion.batchNormAdd`, training and eval): the residual second and
        // a ReLU after the add (resnet8's block end), the residual first with no activation, and BatchNorm1d with tanh.
        let addResidual = try [(true, true, 3), (false, false, 1)].map { residualSecond, affine, batch in
            let g = try classifier(image(6, 5, 7)) { b, x in
                let c = try b.conv2d("stem", x, out: 6, kernel: 3, padding: 1, bias: false)
                let r = try b.conv2d("branch", x, out: 6, kernel: 1)
                let a = BatchNormAttributes(features: 6, dimensions: 2, eps: 1e-5, momentum: 0.1, affine: affine)
                let n = try b.add("bn", .batchNorm(a), [c])
                let sum = try b.addValues("add", residualSecond ? n : r, residualSecond ? r : n)
                return residualSecond ? try b.relu("relu", sum) : sum
            }
            return OpCase(.batchNorm, "batchNorm2d + add (fused), residual \(residualSecond ? "second + relu" : "first") affine \(affine)", g,
                          batches: [batch], steps: 2)
        }
        let addFeatures = try classifier(TensorShape(features: 33)) { b, x in
            let h = try b.linear("stem", x, out: 33)
            return try b.activation("act", try b.addValues("add", try b.batchNorm("bn", try b.linear("fc", h, out: 33)), h), .tanh)
        }
        return planes + features + reluResidual + addResidual
            + [OpCase(.batchNorm, "batchNorm1d + add + tanh (fused)", addFeatures, batches: [5], steps: 2)]
            + [OpCase(.batchNorm, "batchNorm1d + silu, two steps", silu, batches: [3], steps: 2),
               OpCase(.batchNorm, "batchNorm2d output feeding a relu and an add (not fused)", sharedOutput, batches: [2])]
    }

    /// Every activation of the registry's examples after a linear, a batch norm and an add (the fusable producers),
    /// fused and alone.
    static func activationCases() throws -> [OpCase] {
        try Activation.examples.flatMap { act -> [OpCase] in
            let linear = try classifier(TensorShape(features: 7)) { b, x in try b.activation("act", try b.linear("fc", x, out: 33), act) }
            let normAndAdd = try classifier(image(3, 3, 4)) { b, x in
                let c = try b.conv2d("conv", x, out: 4, kernel: 3, padding: 1, bias: false)
                let n = try b.activation("bn_act", try b.batchNorm("bn", c), act)
                return try b.activation("add_act", try b.addValues("add", n, c), act)
            }
            return [OpCase(.activation, "linear + \(act)", linear, batches: [3]),
                    OpCase(.activation, "batchNorm/add + \(act)", normAndAdd, batches: [2])]
        }
    }

    static func poolingCases() throws -> [OpCase] {
        let pools: [(String, Layer, TensorShape)] = [
            ("maxPool k2", .maxPool2d(Pool2dAttributes(kernel: Pair(2))), image(3, 7, 6)),
            ("maxPool k3 s2 p1", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1))), image(33, 5, 7)),
            ("maxPool k3 s1 p1", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(1), padding: Pair(1))), image(2, 4, 4)),
            ("maxPool k(2,3) s(1,2)", .maxPool2d(Pool2dAttributes(kernel: Pair(2, 3), stride: Pair(1, 2))), image(3, 5, 8)),
            ("avgPool k3 s2 p1 include", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1))), image(32, 5, 5)),
            ("avgPool k3 s2 p1 exclude", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1), countIncludePad: false)), image(3, 6, 7)),
            ("avgPool k2 s1", .avgPool2d(Pool2dAttributes(kernel: Pair(2), stride: Pair(1))), image(3, 5, 4)),
            ("adaptive 5x7->3x2", .adaptiveAvgPool2d(outHeight: 3, outWidth: 2), image(3, 5, 7)),
            ("adaptive 7x7->1x1", .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), image(33, 7, 7)),
            ("adaptive 6x6->3x3", .adaptiveAvgPool2d(outHeight: 3, outWidth: 3), image(2, 6, 6)),
            ("adaptive 4x5->7x3", .adaptiveAvgPool2d(outHeight: 7, outWidth: 3), image(2, 4, 5)),
        ]
        let plain = try pools.enumerated().map { k, pool in
            let (name, layer, shape) = pool
            let g = try classifier(shape) { b, x in
                try b.add("pool", layer, [try b.activation("act", try b.conv2d("stem", x, out: shape.channels, kernel: 1), .tanh)])
            }
            return OpCase(.pooling, name, g, batches: [[1, 2, 5][k % 3]], fuse: [true])
        }
        // ceil_mode pools on odd sizes (a 2x2 fast path must not take a window past the input).
        let ceil = try classifier(image(3, 7, 9)) { b, x in
            let stem = try b.conv2d("stem", x, out: 4, kernel: 1)
            let max2 = try b.add("max2", .maxPool2d(Pool2dAttributes(kernel: Pair(2), ceilMode: true)), [stem])             // 4 x 5
            let avg = try b.add("avg", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1), ceilMode: true)), [max2])
            let max3 = try b.add("max3", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), ceilMode: true)), [stem])
            let avgEx = try b.add("avgEx", .avgPool2d(Pool2dAttributes(kernel: Pair(2), countIncludePad: false, ceilMode: true)), [max3])
            return try b.add("cat", .concat, [try b.flatten("f1", avg), try b.flatten("f2", avgEx)])
        }
        // A ReLU after a max pool, and one before it: the latter's backward pair becomes maxPoolReluBackward where
        // the backend supports it (`Fusion`; fused plans only, so fuse: [true, false] runs both forms).
        let poolRelu = try classifier(image(4, 7, 6)) { b, x in
            try b.relu("relu", try b.maxPool("pool", try b.conv2d("stem", x, out: 4, kernel: 3, padding: 1), kernel: 2))
        }
        let reluPool = try classifier(image(5, 9, 7)) { b, x in
            let pooled = try b.maxPool("pool", try b.relu("relu", try b.conv2d("stem", x, out: 5, kernel: 3, padding: 1)),
                                       kernel: 3, stride: 2, padding: 1)
            return try b.maxPool("pool2", try b.relu("relu2", try b.add("bn", .batchNorm(BatchNormAttributes(features: 5, dimensions: 2)), [pooled])), kernel: 2)
        }
        return plain + [OpCase(.pooling, "ceil_mode pools", ceil, batches: [1, 3]),
                        OpCase(.pooling, "maxPool + relu", poolRelu, batches: [1, 3]),
                        OpCase(.pooling, "relu + maxPool (fusable backward)", reluPool, batches: [1, 3])]
    }

    static func dropoutCases() throws -> [OpCase] {
        try [(Float(0), 2), (0.3, 5), (0.5, 1)].map { p, batch in
            let g = try classifier(TensorShape(features: 33)) { b, x in
                try b.dropout("drop", try b.activation("act", try b.linear("fc", x, out: 33), .tanh), p: p)
            }
            return OpCase(.dropout, "dropout \(p)", g, batches: [batch], fuse: [true], steps: 2)
        }
    }

    static func addConcatCases() throws -> [OpCase] {
        let residual = try classifier(image(3, 5, 5)) { b, x in
            let stem = try b.relu("stem_relu", try b.conv2d("stem", x, out: 4, kernel: 3, padding: 1))
            let branch = try b.conv2d("conv", stem, out: 4, kernel: 3, padding: 1)
            let twice = try b.addValues("twice", stem, stem)
            return try b.relu("relu", try b.add("sum", .add, [branch, stem, twice]))
        }
        let concat = try classifier(image(1, 4, 5)) { b, x in
            let a = try b.activation("a_act", try b.conv2d("a", x, out: 31, kernel: 1), .tanh)
            let c = try b.conv2d("c", x, out: 33, kernel: 3, padding: 1)
            return try b.relu("relu", try b.concat("cat", [x, a, c, a]))
        }
        return [OpCase(.addConcat, "add fan-out", residual, batches: [1, 3]),
                OpCase(.addConcat, "concat 1+31+33+31", concat, batches: [2])]
    }

    static func softmaxLossCases() throws -> [OpCase] {
        let outputs = try [Layer.softmax, .logSoftmax].map { layer in
            var b = NetworkBuilder(input: TensorShape(features: 5))
            let h = try b.linear("fc2", try b.activation("act", try b.linear("fc1", b.input, out: 6), .tanh), out: 4)
            return OpCase(.softmaxLoss, layer.typeName, try b.build(output: try b.add("out", layer, [h])), batches: [1, 3])
        }
        // Batches of 3 or more carry one padding label (-1); smoothing changes the loss and its gradient.
        let g = try classifier(TensorShape(features: 6)) { b, x in try b.relu("relu", try b.linear("fc", x, out: 8)) }
        return outputs + [OpCase(.softmaxLoss, "label smoothing", g, batches: [1, 5], fuse: [true], smoothing: 0.1)]
    }

    static func optimizerCases() throws -> [OpCase] {
        let g = try classifier(image(2, 4, 4)) { b, x in
            let c = try b.conv2d("conv", x, out: 3, kernel: 3, padding: 1, bias: false)
            return try b.relu("relu", try b.batchNorm("bn", c))
        }
        let configs: [OptimizerConfig] = [
            .sgd(momentum: 0, nesterov: false, weightDecay: 0),
            .sgd(momentum: 0.9, nesterov: false, weightDecay: 5e-4),
            .sgd(momentum: 0.9, nesterov: true, weightDecay: 0.01),
            .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false),
            .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false),
            .adam(beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.05, decoupled: true),
        ]
        return configs.map { OpCase(.optimizer, "\($0)", g, batches: [3], fuse: [true], optimizer: $0, learningRate: 0.01, steps: 3) }
    }
}
