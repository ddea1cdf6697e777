import NetIR

/// What an instruction computes. Geometry and attributes only; the tensors are the instruction's operands.
/// Each case documents its operand order. Elementwise sizes come from the operands' counts.
public enum Op: Hashable, Codable, Sendable {
    /// in: x, weight, bias? ; out: y = act(conv(x) + bias)
    case conv2d(ConvGeometry, activation: Activation?)
    /// in: dy, weight ; out: dx
    case conv2dBackwardData(ConvGeometry)
    /// in: x, dy ; out: dWeight, dBias?  (`accumulate` applies to the parameter gradients)
    case conv2dBackwardFilter(ConvGeometry)
    /// in: x, weight, bias? ; out: y = act(x W^T + b)
    case linear(LinearGeometry, activation: Activation?)
    /// in: dy, weight ; out: dx
    case linearBackwardData(LinearGeometry)
    /// in: x, dy ; out: dWeight, dBias?
    case linearBackwardFilter(LinearGeometry)
    /// in: x, scale?, shift?, runningMean, runningVar ; out: y, savedMean, savedInvStd.
    /// Training: batch statistics, running stats updated in place (unbiased variance, PyTorch's momentum);
    /// saved mean / 1/sqrt(var+eps) for backward. Eval: running stats, saved outputs absent. y = act(bn(x)).
    case batchNorm(BatchNormGeometry, training: Bool, activation: Activation?)
    /// in: x, dy, scale?, savedMean, savedInvStd ; out: dx?, dScale?, dShift?
    /// `Instruction.accumulate` applies to dx, `accumulateParameters` to dScale/dShift.
    case batchNormBackward(BatchNormGeometry, accumulateParameters: Bool)
    /// A plan rewrite (`Fusion.batchNormRelu`) of the backward of a ReLU after a batch norm and the batch norm's
    /// backward: in: x, dy, scale?, savedMean, savedInvStd, y (the ReLU's output) ; out: dx?, dScale?, dShift?, the
    /// batchNormBackward of dy·[y > 0]. `accumulate` and `accumulateParameters` as batchNormBackward's.
    case batchNormReluBackward(BatchNormGeometry, accumulateParameters: Bool)
    /// A plan rewrite (`Fusion.batchNormAdd`) of a batch norm without activation directly followed by the add of its
    /// output and one other tensor: in: x, scale?, shift?, runningMean, runningVar, residual ; out: y, savedMean,
    /// savedInvStd. y = act(bn(x) + residual), the batch norm as `batchNorm` (training or eval) in every other respect.
    case batchNormAdd(BatchNormGeometry, training: Bool, activation: Activation?)
    /// in: x ; out: y
    case activation(Activation)
    /// in: y (fromOutput) or x, dy ; out: dx
    case activationBackward(Activation, fromOutput: Bool)
    /// in: x ; out: y, argmax (Int32 index of the max within its input plane)
    case maxPool(PoolGeometry)
    /// in: dy, argmax ; out: dx
    case maxPoolBackward(PoolGeometry)
    /// A plan rewrite (`Fusion.maxPoolRelu`) of maxPoolBackward and the backward of the ReLU before the pool:
    /// in: dy, argmax, y (the ReLU's output = the pool's input) ; out: dx = scatter(dy)·[y > 0]
    case maxPoolReluBackward(PoolGeometry)
    /// in: x ; out: y
    case avgPool(PoolGeometry)
    /// in: dy ; out: dx
    case avgPoolBackward(PoolGeometry)
    /// in: x ; out: y
    case adaptiveAvgPool(AdaptivePoolGeometry)
    /// in: dy ; out: dx
    case adaptiveAvgPoolBackward(AdaptivePoolGeometry)
    /// in: x ; out: y, mask. mask[i] = keep ? 1/(1-p) : 0 with keep drawn from `DropoutRandom` (seed, step, salt, i).
    case dropout(p: Float, salt: UInt32)
    /// in: dy, mask ; out: dx = dy * mask
    case dropoutBackward
    /// in: a, b, ... ; out: y = act(a + b + ...)
    case add(activation: Activation?)
    /// in: x0, x1, ... ; out: y (channel concatenation)
    case concat(ConcatGeometry)
    /// in: dy ; out: dx0?, dx1?, ... with a per-output accumulate flag
    case concatBackward(ConcatGeometry, accumulate: [Bool])
    /// in: x ; out: y (softmax or log-softmax over the class dimension)
    case softmax(batch: Int, classes: Int, log: Bool)
    /// in: y, dy ; out: dx
    case softmaxBackward(batch: Int, classes: Int, log: Bool)
    /// in: a, b ; out: y = a * b (b broadcast per row when `perRow`)
    case multiply(MultiplyGeometry)
    /// in: dy, other ; out: d. `ofBroadcast` false: d (+)= dy * other (broadcast per row when perRow), the
    /// gradient of the full operand. `ofBroadcast` true: d (+)= Σ over each row of dy * other, the per-row operand's.
    case multiplyBackward(MultiplyGeometry, ofBroadcast: Bool)
    /// in: x ; out: y (+)= scale * x + shift (`accumulate` adds; the backward of an affine is an affine)
    case affine(scale: Float, shift: Float)
    /// in: x ; out: y
    case copy
    /// in: logits, labels ; out: dLogits?, metrics. Mean cross-entropy over the samples whose label is >= 0;
    /// dLogits = (softmax - target) / counted; metrics += [loss sum, correct, counted].
    case softmaxCrossEntropy(batch: Int, classes: Int, labelSmoothing: Float)
    /// out: y = value
    case fill(Float)
    /// in: gradients ; out: parameters (updated in place), state copies. Learning rate and step come at run time.
    case optimizer(OptimizerConfig)
    /// in: x, scale?, shift? ; out: y, savedMean?, savedInvStd? (one per row). GroupNorm, InstanceNorm, LayerNorm.
    case rowNorm(RowNormGeometry)
    /// in: x, dy, scale?, savedMean, savedInvStd ; out: dx?, dScale?, dShift?
    /// `Instruction.accumulate` applies to dx, `accumulateParameters` to dScale/dShift.
    case rowNormBackward(RowNormGeometry, accumulateParameters: Bool)
    /// in: x, slopes ; out: y = x > 0 ? x : slope·x
    case prelu(PReLUGeometry)
    /// in: x, dy, slopes ; out: dx? (+)= x > 0 ? dy : slope·dy, dSlopes? (+)= Σ (x > 0 ? 0 : x·dy) per slope.
    /// `Instruction.accumulate` applies to dx, `accumulateParameters` to dSlopes.
    case preluBackward(PReLUGeometry, accumulateParameters: Bool)
    /// in: x ; out: y = x · D^(-beta), D? (the denominators' base, saved for backward). LocalResponseNorm, F.normalize.
    case localResponseNorm(ChannelWindowGeometry)
    /// in: x, dy, D ; out: dx (+)= dy·D^(-beta) - 2·alpha·beta·x·Σ_{c whose window holds this channel} dy_c x_c D_c^(-beta-1)
    case localResponseNormBackward(ChannelWindowGeometry)
    /// in: x ; out: y, x padded per `PadGeometry` (constant, reflect or replicate border)
    case pad(PadGeometry)
    /// in: dy ; out: dx (+)= the sum of dy over the outputs that copy each input element
    case padBackward(PadGeometry)
    /// in: x ; out: y (nearest or bilinear resize of each plane, `UpsampleGeometry.taps`)
    case upsample(UpsampleGeometry)
    /// in: dy ; out: dx (+)= each output's gradient spread over its taps with their weights
    case upsampleBackward(UpsampleGeometry)
    /// in: x, bias ; out: y = x + bias[c] per channel plane (y may be x itself: ConvTranspose2d adds its bias in place)
    case channelBias(BiasGeometry)
    /// in: dy ; out: dBias (+)= Σ over samples and positions of dy per channel
    case channelBiasBackward(BiasGeometry)
    /// in: x ; out: y (+)= x with each sample's dimensions reordered (its backward is the inverse permutation)
    case permute(PermuteGeometry)
}

/// One step of a program: an op and its operands.
public struct Instruction: Hashable, Codable, Sendable, CustomStringConvertible {
    public var op: Op
    public var inputs: [TensorRef]
    public var outputs: [TensorRef]
    /// Backward ops: add into the gradient output instead of overwriting it (fan-out and shared modules).
    public var accumulate: Bool
    /// The graph node this instruction comes from (for profiles and errors).
    public var node: String

    public init(_ op: Op, inputs: [TensorRef], outputs: [TensorRef], accumulate: Bool = false, node: String) {
        self.op = op; self.inputs = inputs; self.outputs = outputs; self.accumulate = accumulate; self.node = node
    }

    /// Short op name for profiles: `conv2d`, `batchNormBackward`, ...
    public var opName: String {
        let text = String(describing: op)
        return String(text.prefix { $0 != "(" })
    }

    public var description: String {
        "\(node): \(opName)(\(inputs.map(\.description).joined(separator: ", "))) -> \(outputs.map(\.description).joined(separator: ", "))\(accumulate ? " +=" : "")"
    }
}
