import COpenCL
import Engine
import NetIR

/// Where a kernel argument's value comes from when the executor prebinds it.
enum LaunchArg {
    /// The cl_mem of a region (`.none` binds a harmless dummy; the kernel is told the tensor is absent).
    case buffer(Region)
    /// The executor's scratch buffer (im2col columns, transposed gradients).
    case workspace
    case int(Int)
    case float(Float)
    case int16([Int])
    /// Values that change every step, set right before the enqueue.
    case dynamic(DynamicArg)
}

enum DynamicArg: Hashable {
    case learningRate, seed, step, adamCorrection1, adamCorrection2
}

/// Which program a kernel comes from: an op-family file, or gemm.cl with tuned parameters.
enum ProgramID: Hashable {
    case family(String)
    case gemm(GemmParameters)
}

/// One kernel enqueue, fully described before any OpenCL object exists.
struct Launch {
    var program: ProgramID
    var kernel: String
    var args: [LaunchArg]
    var global: [Int]
    var local: [Int]
    /// Op name for profiles (`conv2d`, `batchNormBackward`).
    var op: String
    /// GEMM launches carry their problem so the tuner can collect shapes.
    var gemmShape: GemmShape?
    /// The plan instruction this launch belongs to (`12 conv2 conv2d`), for per-instruction profiles.
    var instruction = ""
}

/// Activation codes shared with Kernels/common.cl (ACT_*): 1 + the registry position, 0 for none; the
/// parameters in the registry's order (the fused epilogues take `param` only).
func activationCode(_ a: Activation?) -> (code: Int, param: Float, param2: Float) {
    guard let a else { return (0, 0, 0) }
    let p = a.parameters
    return (a.ordinal + 1, p.first ?? 0, p.count > 1 ? p[1] : 0)
}

/// Turns plan instructions into launches. Knows the device's work-group sizes and asks `gemmParameters`
/// for each GEMM shape; records the largest workspace any instruction needs.
struct Lowering {
    /// The device's work-group sizes and reduction splits (WorkSizes.swift).
    let sizes: WorkSizes
    /// Work-group size of reduction kernels (the WGS define of every family program).
    var reductionSize: Int { sizes.reduction }
    /// Work-group size of one-element-per-work-item kernels.
    var elementLocal: Int { sizes.element }
    /// Most floats one convolution's scratch may take; larger batches run in chunks of samples.
    let workspaceCap: Int
    let gemmParameters: (GemmShape) -> GemmParameters
    private(set) var workspaceFloats = 0
    var op = ""

    init(sizes: WorkSizes, workspaceCap: Int, gemmParameters: @escaping (GemmShape) -> GemmParameters) {
        self.sizes = sizes; self.workspaceCap = workspaceCap
        self.gemmParameters = gemmParameters
    }

    mutating func needWorkspace(_ floats: Int) { workspaceFloats = max(workspaceFloats, floats) }

    func ref(_ t: TensorRef) -> [LaunchArg] { [.buffer(t.region), .int(t.offset)] }
    func flag(_ b: Bool) -> LaunchArg { .int(b ? 1 : 0) }

    /// One work-item per element, the global size rounded up to the work-group size.
    func elementwise(_ file: String, _ kernel: String, count: Int, _ args: [LaunchArg]) -> Launch {
        let global = max(1, (count + elementLocal - 1) / elementLocal) * elementLocal
        return Launch(program: .family(file), kernel: kernel, args: args, global: [global], local: [elementLocal], op: op)
    }

    /// `groups` work-groups of the reduction size.
    func reduction(_ file: String, _ kernel: String, groups: Int, _ args: [LaunchArg]) -> Launch {
        Launch(program: .family(file), kernel: kernel, args: args, global: [max(groups, 1) * reductionSize],
               local: [reductionSize], op: op)
    }

    /// One work-item per position of `planes` planes of `width` x `height` on the plane grid (common.cl's
    /// outerAndSample); the kernel takes the padded plane count and then the geometry after `args`.
    func planeLaunch(_ file: String, _ kernel: String, width: Int, height: Int, planes: Int, _ args: [LaunchArg],
                     geometry: [Int]) -> Launch {
        let grid = sizes.planeGrid(width: width, height: height, count: planes, outer: 1)
        return Launch(program: .family(file), kernel: kernel, args: args + [.int(grid.countPad), .int16(geometry)],
                      global: grid.global, local: grid.local, op: op)
    }

    /// A 2-D grid of `chunks` x `channels` reduction work-groups (batchnorm.cl, conv.cl's channel_sum).
    func chunkedReduction(_ file: String, _ kernel: String, chunks: Int, channels: Int, _ args: [LaunchArg]) -> Launch {
        Launch(program: .family(file), kernel: kernel, args: args, global: [chunks * reductionSize, max(channels, 1)],
               local: [reductionSize, 1], op: op)
    }

    /// db[c] (+)= sum of x[s][c][i] over `outer` samples and `inner` positions: one launch, or with the
    /// reduction split over chunks of samples, partial sums in the workspace and `sum_slices`.
    mutating func channelSum(_ x: TensorRef, into db: TensorRef, channels: Int, inner: Int, outer: Int,
                             accumulate: Bool) -> [Launch] {
        let chunks = sizes.chunks(channels: channels, batch: outer, spatial: inner)
        let out: [LaunchArg] = chunks > 1 ? [.workspace, .int(0)] : ref(db)
        var launches = [chunkedReduction("conv.cl", "channel_sum", chunks: chunks, channels: channels,
                                         ref(x) + out + [.int(channels), .int(inner), .int(outer), flag(accumulate), .int(chunks)])]
        if chunks > 1 {
            needWorkspace(chunks * channels)
            launches.append(elementwise("elementwise.cl", "sum_slices", count: channels,
                                        [.workspace, .int(0), .int(channels), .int(chunks),
                                         .buffer(db.region), .int(db.offset), .int(channels), .float(accumulate ? 1 : 0)]))
        }
        return launches
    }

    mutating func lower(_ ins: Instruction) throws -> [Launch] {
        op = ins.opName
        let x = ins.inputs.first ?? .absent, y = ins.outputs.first ?? .absent
        let acc = flag(ins.accumulate)
        switch ins.op {
        case .conv2d(let g, let act):
            return try convForward(g, x: x, w: ins.inputs[1], bias: ins.inputs[2], y: y, act: act)
        case .conv2dBackwardData(let g):
            return try convBackwardData(g, dy: x, w: ins.inputs[1], dx: y, accumulate: ins.accumulate)
        case .conv2dBackwardFilter(let g):
            return try convBackwardFilter(g, x: x, dy: ins.inputs[1], dw: y, db: ins.outputs[1], accumulate: ins.accumulate)
        case .linear(let g, let act):
            return linearForward(g, x: x, w: ins.inputs[1], bias: ins.inputs[2], y: y, act: act)
        case .linearBackwardData(let g):
            return linearBackwardData(g, dy: x, w: ins.inputs[1], dx: y, accumulate: ins.accumulate)
        case .linearBackwardFilter(let g):
            return linearBackwardFilter(g, x: x, dy: ins.inputs[1], dw: y, db: ins.outputs[1], accumulate: ins.accumulate)
        case .batchNorm(let g, let training, let act):
            let a = activationCode(act)
            let (scale, shift) = (ins.inputs[1], ins.inputs[2])
            let common: [LaunchArg] = ref(x) + ref(scale) + [flag(scale.isPresent)] + ref(shift) + [flag(shift.isPresent)]
                + ref(ins.inputs[3]) + ref(ins.inputs[4]) + ref(y)
            if training {
                let chunks = sizes.chunks(channels: g.channels, batch: g.batch, spatial: g.spatial)
                let shape: [LaunchArg] = [.int(g.batch), .int(g.channels), .int(g.spatial)]
                var launches: [Launch] = []
                if chunks > 1 {
                    needWorkspace(2 * chunks * g.channels)
                    launches.append(chunkedReduction("batchnorm.cl", "bn_stats_partial", chunks: chunks, channels: g.channels,
                                                     ref(x) + [.workspace, .int(0)] + shape + [.int(chunks)]))
                }
                launches.append(chunkedReduction("batchnorm.cl", "bn_forward_train", chunks: chunks, channels: g.channels, common
                    + ref(ins.outputs[1]) + ref(ins.outputs[2])
                    + shape + [.float(g.eps), .float(g.momentum), .int(a.code), .float(a.param), .workspace, .int(0), .int(chunks)]))
                return launches
            }
            return [elementwise("batchnorm.cl", "bn_forward_eval", count: g.batch * g.channels * g.spatial, common
                + [.int(g.batch), .int(g.channels), .int(g.spatial), .float(g.eps), .int(a.code), .float(a.param)])]
        case .batchNormBackward(let g, let accumulateParameters):
            let (dx, dScale, dShift) = (ins.outputs[0], ins.outputs[1], ins.outputs[2])
            let chunks = sizes.chunks(channels: g.channels, batch: g.batch, spatial: g.spatial)
            let shape: [LaunchArg] = [.int(g.batch), .int(g.channels), .int(g.spatial)]
            let args: [LaunchArg] = ref(x) + ref(ins.inputs[1]) + ref(ins.inputs[2]) + [flag(ins.inputs[2].isPresent)]
                + ref(ins.inputs[3]) + ref(ins.inputs[4])
                + ref(dx) + [flag(dx.isPresent)] + ref(dScale) + [flag(dScale.isPresent)] + ref(dShift) + [flag(dShift.isPresent)]
                + [acc, flag(accumulateParameters)] + shape + [.workspace, .int(0), .int(chunks)]
            var launches: [Launch] = []
            if chunks > 1 {
                needWorkspace(2 * chunks * g.channels)
                launches.append(chunkedReduction("batchnorm.cl", "bn_backward_partial", chunks: chunks, channels: g.channels,
                                                 ref(x) + ref(ins.inputs[1]) + ref(ins.inputs[3]) + ref(ins.inputs[4])
                                                     + [.workspace, .int(0)] + shape + [.int(chunks)]))
            }
            launches.append(chunkedReduction("batchnorm.cl", "bn_backward", chunks: chunks, channels: g.channels, args))
            return launches
        case .batchNormReluBackward, .batchNormAdd:
            // Not lowered yet: `supports` answers false, so plans for this backend keep the unfused pair.
            throw OpenCLError.unsupported("\(ins.node): \(ins.opName) has no kernel on OpenCL")
        case .activation(let act):
            let a = activationCode(act)
            return [elementwise("elementwise.cl", "activation_forward", count: y.count,
                                ref(x) + ref(y) + [.int(y.count), .int(a.code), .float(a.param), .float(a.param2)])]
        case .activationBackward(let act, let fromOutput):
            let a = activationCode(act)
            return [elementwise("elementwise.cl", "activation_backward", count: y.count,
                                ref(x) + ref(ins.inputs[1]) + ref(y)
                                    + [.int(y.count), .int(a.code), .float(a.param), .float(a.param2), flag(fromOutput), acc])]
        case .maxPool(let g):
            return [planeLaunch("pooling.cl", "maxpool_forward", width: g.outWidth, height: g.outHeight,
                                planes: g.batch * g.channels, ref(x) + ref(y) + ref(ins.outputs[1]), geometry: poolGeometry(g))]
        case .maxPoolBackward(let g):
            return [planeLaunch("pooling.cl", "maxpool_backward", width: g.inWidth, height: g.inHeight,
                                planes: g.batch * g.channels, ref(x) + ref(ins.inputs[1]) + ref(y) + [acc], geometry: poolGeometry(g))]
        case .maxPoolReluBackward(let g):
            return [planeLaunch("pooling.cl", "maxpool_relu_backward", width: g.inWidth, height: g.inHeight,
                                planes: g.batch * g.channels, ref(x) + ref(ins.inputs[1]) + ref(ins.inputs[2]) + ref(y) + [acc],
                                geometry: poolGeometry(g))]
        case .avgPool(let g):
            return [elementwise("pooling.cl", "avgpool_forward", count: y.count, ref(x) + ref(y) + [.int16(poolGeometry(g))])]
        case .avgPoolBackward(let g):
            return [elementwise("pooling.cl", "avgpool_backward", count: y.count,
                                ref(x) + ref(y) + [acc, .int16(poolGeometry(g))])]
        case .adaptiveAvgPool(let g):
            return [elementwise("pooling.cl", "adaptive_avgpool_forward", count: y.count,
                                ref(x) + ref(y) + [.int16(adaptiveGeometry(g))])]
        case .adaptiveAvgPoolBackward(let g):
            return [elementwise("pooling.cl", "adaptive_avgpool_backward", count: y.count,
                                ref(x) + ref(y) + [acc, .int16(adaptiveGeometry(g))])]
        case .dropout(let p, let salt):
            return [elementwise("elementwise.cl", "dropout_forward", count: y.count,
                                ref(x) + ref(y) + ref(ins.outputs[1])
                                    + [.int(y.count), .float(p), .float(1 / (1 - p)), .dynamic(.seed), .dynamic(.step),
                                       .int(Int(salt))])]
        case .dropoutBackward:
            return [elementwise("elementwise.cl", "multiply", count: y.count,
                                ref(x) + ref(ins.inputs[1]) + ref(y) + [.int(y.count), acc])]
        case .add(let act):
            return lowerAdd(ins.inputs, y: y, act: act)
        case .concat(let g):
            var launches: [Launch] = [], channel = 0
            for (k, input) in ins.inputs.enumerated() {
                let block = g.channels[k] * g.spatial
                launches.append(copyBlocks(from: input.offset, input.region, stride: block,
                                           to: y.offset + channel * g.spatial, y.region, stride: g.totalChannels * g.spatial,
                                           block: block, count: g.batch, accumulate: false))
                channel += g.channels[k]
            }
            return launches
        case .concatBackward(let g, let accumulate):
            var launches: [Launch] = [], channel = 0
            for (k, output) in ins.outputs.enumerated() {
                let block = g.channels[k] * g.spatial
                if output.isPresent {
                    launches.append(copyBlocks(from: x.offset + channel * g.spatial, x.region, stride: g.totalChannels * g.spatial,
                                               to: output.offset, output.region, stride: block,
                                               block: block, count: g.batch, accumulate: accumulate[k]))
                }
                channel += g.channels[k]
            }
            return launches
        case .softmax(let batch, let classes, let log):
            return [elementwise("loss.cl", "softmax_forward", count: batch,
                                ref(x) + ref(y) + [.int(batch), .int(classes), flag(log)])]
        case .softmaxBackward(let batch, let classes, let log):
            return [elementwise("loss.cl", "softmax_backward", count: batch,
                                ref(x) + ref(ins.inputs[1]) + ref(y) + [.int(batch), .int(classes), flag(log), acc])]
        case .copy:
            return [copyBlocks(from: x.offset, x.region, stride: 0, to: y.offset, y.region, stride: 0,
                               block: y.count, count: 1, accumulate: ins.accumulate)]
        case .softmaxCrossEntropy(let batch, let classes, let smoothing):
            let d = ins.outputs[0]
            return [reduction("loss.cl", "softmax_cross_entropy", groups: 1,
                              ref(x) + ref(ins.inputs[1]) + ref(d) + [flag(d.isPresent)] + ref(ins.outputs[1])
                                  + [.int(batch), .int(classes), .float(smoothing)])]
        case .fill(let value):
            return [elementwise("elementwise.cl", "fill", count: y.count, ref(y) + [.int(y.count), .float(value)])]
        case .multiply(let g):
            return [elementwise("elementwise.cl", "multiply_rows", count: g.count, ref(x) + ref(ins.inputs[1]) + ref(y)
                                    + [.int(g.count), .int(g.inner), flag(g.perRow), flag(false)])]
        case .multiplyBackward(let g, let ofBroadcast):
            if ofBroadcast {
                return [elementwise("elementwise.cl", "row_dot", count: g.outer, ref(x) + ref(ins.inputs[1]) + ref(y)
                                        + [.int(g.outer), .int(g.inner), acc])]
            }
            return [elementwise("elementwise.cl", "multiply_rows", count: g.count, ref(x) + ref(ins.inputs[1]) + ref(y)
                                    + [.int(g.count), .int(g.inner), flag(g.perRow), acc])]
        case .affine(let scale, let shift):
            return [elementwise("elementwise.cl", "affine", count: y.count, ref(x) + ref(y)
                                    + [.int(y.count), .float(scale), .float(shift), acc])]
        case .optimizer(let config):
            return [optimizer(config, gradients: x, parameters: y, state: ins.outputs[1])]
        case .rowNorm(let g):
            return rowNormForward(g, ins)
        case .rowNormBackward(let g, let accumulateParameters):
            return rowNormBackward(g, ins, accumulateParameters: accumulateParameters)
        case .prelu(let g):
            return preluForward(g, ins)
        case .preluBackward(let g, let accumulateParameters):
            return preluBackward(g, ins, accumulateParameters: accumulateParameters)
        case .localResponseNorm(let g):
            return localResponseNormForward(g, ins)
        case .localResponseNormBackward(let g):
            return localResponseNormBackward(g, ins)
        case .pad(let g):
            return lowerPad(g, x: x, y: y, accumulate: false, backward: false)
        case .padBackward(let g):
            return lowerPad(g, x: x, y: y, accumulate: ins.accumulate, backward: true)
        case .upsample(let g):
            return lowerUpsample(g, x: x, y: y)
        case .upsampleBackward(let g):
            return lowerUpsampleBackward(g, dy: x, dx: y, accumulate: ins.accumulate)
        case .channelBias(let g):
            return lowerChannelBias(g, x: x, bias: ins.inputs[1], y: y)
        case .channelBiasBackward(let g):
            return lowerChannelBiasBackward(g, dy: x, db: y, accumulate: ins.accumulate)
        case .permute(let g):
            return lowerPermute(g, x: x, y: y, accumulate: ins.accumulate)
        }
    }

    func lowerAdd(_ inputs: [TensorRef], y: TensorRef, act: Activation?) -> [Launch] {
        let a = activationCode(act)
        var launches: [Launch] = []
        var first = inputs[0]
        for k in inputs.indices.dropFirst() {
            let last = k == inputs.count - 1
            launches.append(elementwise("elementwise.cl", "add2", count: y.count,
                                        ref(first) + ref(inputs[k]) + ref(y)
                                            + [.int(y.count), .int(last ? a.code : 0), .float(last ? a.param : 0)]))
            first = y
        }
        if inputs.count == 1 {   // a one-input add is a copy with the activation
            launches.append(elementwise("elementwise.cl", "activation_forward", count: y.count,
                                        ref(inputs[0]) + ref(y) + [.int(y.count), .int(a.code), .float(a.param), .float(a.param2)]))
        }
        return launches
    }

    func copyBlocks(from xOff: Int, _ xRegion: Region, stride xStride: Int, to yOff: Int, _ yRegion: Region,
                    stride yStride: Int, block: Int, count: Int, accumulate: Bool) -> Launch {
        elementwise("elementwise.cl", "copy_blocks", count: block * count,
                    [.buffer(xRegion), .int(xOff), .int(xStride), .buffer(yRegion), .int(yOff), .int(yStride),
                     .int(block), .int(count), flag(accumulate)])
    }

    func optimizer(_ config: OptimizerConfig, gradients: TensorRef, parameters: TensorRef, state: TensorRef) -> Launch {
        let n = parameters.count
        // State may be absent (SGD without momentum): bind the gradients; the kernel never touches it.
        let stateArg: LaunchArg = state.isPresent ? .buffer(state.region) : .buffer(gradients.region)
        switch config {
        case .sgd(let momentum, let nesterov, let wd):
            return elementwise("optimizer.cl", "sgd_step", count: n,
                               [.buffer(parameters.region), .buffer(gradients.region), stateArg, .int(n),
                                .dynamic(.learningRate), .float(momentum), flag(nesterov), .float(wd)])
        case .adam(let beta1, let beta2, let eps, let wd, let decoupled):
            return elementwise("optimizer.cl", "adam_step", count: n,
                               [.buffer(parameters.region), .buffer(gradients.region), stateArg, .int(n),
                                .dynamic(.learningRate), .float(beta1), .float(beta2), .float(eps), .float(wd),
                                flag(decoupled), .dynamic(.adamCorrection1), .dynamic(.adamCorrection2)])
        }
    }

    func poolGeometry(_ g: PoolGeometry) -> [Int] {
        [g.batch * g.channels, g.inHeight, g.inWidth, g.outHeight, g.outWidth, g.kernelH, g.kernelW,
         g.strideH, g.strideW, g.padH, g.padW, g.countIncludePad ? 1 : 0]
    }

    /// Adaptive pooling reuses the pool geometry layout (kernel/stride/padding unused).
    func adaptiveGeometry(_ g: AdaptivePoolGeometry) -> [Int] {
        [g.batch * g.channels, g.inHeight, g.inWidth, g.outHeight, g.outWidth, 0, 0, 1, 1, 0, 0, 0]
    }
}

extension Kernel {
    /// Sets every static argument of `args`; `memory(region)` gives the cl_mem of a region (nil: the
    /// workspace). Returns the dynamic arguments' indices, set to 0 for now.
    func bind(_ args: [LaunchArg], memory: (Region?) -> cl_mem) throws -> [(index: Int, value: DynamicArg)] {
        var dynamic: [(index: Int, value: DynamicArg)] = []
        for (i, arg) in args.enumerated() {
            switch arg {
            case .buffer(let region): try set(i, memory(region))
            case .workspace: try set(i, memory(nil))
            case .int(let v): try set(i, int: Int32(truncatingIfNeeded: v))
            case .float(let v): try set(i, float: v)
            case .int16(let v): try set(i, int16: v.map { Int32(truncatingIfNeeded: $0) })
            case .dynamic(let d):
                dynamic.append((i, d))
                try set(i, int: 0)
            }
        }
        return dynamic
    }
}
