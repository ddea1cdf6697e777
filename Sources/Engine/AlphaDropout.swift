import NetIR

/// AlphaDropout and FeatureAlphaDropout composed from existing ops (no kernel of their own). PyTorch (ATen
/// `_dropout_impl`, alpha variant) computes, with keep ∈ {0, 1} drawn with probability 1-p, α' = 1.7580993408473766
/// (SELU's -scale·alpha) and a = 1/√((α'²p + 1)(1-p)):
///     y = a·keep·x - a·α'·(1-keep) + a·α'·p  =  a(1-p) · [keep/(1-p)] · (x + α') + a·α'·(p - 1)
/// so training runs t = x + α' (affine), u = t · mask (dropout's mask keep/(1-p), per element or per
/// (sample, channel) row), y = a(1-p)·u + a·α'(p-1) (affine); the backward is dx = a(1-p) · mask · dy.
public enum AlphaDropout {
    public static let alphaPrime = 1.7580993408473766

    /// The affine after the mask: (scale a(1-p), shift a·α'(p-1)).
    public static func outputAffine(p: Float) -> (scale: Float, shift: Float) {
        let p = Double(p), a = 1 / ((alphaPrime * alphaPrime * p + 1) * (1 - p)).squareRoot()
        return (Float(a * (1 - p)), Float(a * alphaPrime * (p - 1)))
    }
}

extension PlanBuilder {
    /// Extra tensors of node `i`: t, u, then mask (per element) or ones, gate, mask (per row).
    mutating func alphaDropoutExtras(_ i: Int, feature: Bool) -> [TensorRef] {
        let count = batch * shapes[i].count
        let t = newTensor(count), u = newTensor(count)
        if !feature { return [t, u, newTensor(count)] }
        let rows = batch * shapes[i].dims[0]
        return [t, u, newTensor(rows), newTensor(rows), newTensor(rows)]
    }

    /// The training forward of node `i` (AlphaDropout p > 0): x -> y.
    func alphaDropoutForward(_ i: Int, p: Float, feature: Bool, x: TensorRef, y: TensorRef) -> [(Op, [TensorRef], [TensorRef])] {
        let e = extras[i], (t, u) = (e[0], e[1])
        let salt = UInt32(truncatingIfNeeded: i), out = AlphaDropout.outputAffine(p: p)
        var ops: [(Op, [TensorRef], [TensorRef])] = [(.affine(scale: 1, shift: Float(AlphaDropout.alphaPrime)), [x], [t])]
        if feature {
            let (ones, gate, mask) = (e[2], e[3], e[4])
            ops += [(.fill(1), [], [ones]), (.dropout(p: p, salt: salt), [ones], [gate, mask]),
                    (.multiply(channelGeometry(i)), [t, gate], [u])]
        } else {
            ops.append((.dropout(p: p, salt: salt), [t], [u, e[2]]))
        }
        ops.append((.affine(scale: out.scale, shift: out.shift), [u], [y]))
        return ops
    }

    /// The backward of node `i` (AlphaDropout p > 0): dy -> dx (+)= a(1-p)·mask·dy through a temporary.
    mutating func alphaDropoutBackward(_ i: Int, p: Float, feature: Bool, dy: TensorRef, dx: TensorRef,
                                       accumulate: Bool) -> [(Op, [TensorRef], [TensorRef], Bool)] {
        let masked = newTensor(dy.count)
        let first: (Op, [TensorRef], [TensorRef], Bool) = feature
            ? (.multiplyBackward(channelGeometry(i), ofBroadcast: false), [dy, extras[i][3]], [masked], false)
            : (.dropoutBackward, [dy, extras[i][2]], [masked], false)
        return [first, (.affine(scale: AlphaDropout.outputAffine(p: p).scale, shift: 0), [masked], [dx], accumulate)]
    }
}
