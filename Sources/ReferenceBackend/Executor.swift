import Engine
import NetIR

/// The judge of correctness: interprets a plan with plain loops taken straight from docs/ops.md, accumulating
/// sums in Double. Slow on purpose; every other backend is tested against it.
public struct ReferenceBackend: Backend {
    public init() {}

    public var name: String { "reference (plain Swift loops, double accumulation)" }

    public func load(_ plan: Plan) throws -> any PlanExecutor {
        try checkSupport(plan)
        try ReferenceExecutor.validate(plan)
        return ReferenceExecutor(plan: plan)
    }

    /// Every op: this backend's one dispatch over `Op` (`ReferenceExecutor.execute`) is exhaustive with no `default:` and has a
    /// kernel in every arm, so a new op does not compile until it has one here too.
    public func supports(_ op: Op) -> Bool { true }
}

/// Why the reference refuses a plan: it would rather say so than guess what a malformed instruction means.
public enum ReferenceBackendError: Error, CustomStringConvertible, Sendable {
    case operandOutOfBounds(program: String, instruction: Int, operand: TensorRef, regionCount: Int)
    case unsupported(program: String, instruction: Int, reason: String)

    public var description: String {
        switch self {
        case .operandOutOfBounds(let p, let k, let t, let n):
            return "\(p) instruction \(k): operand \(t) lies outside its region of \(n) elements"
        case .unsupported(let p, let k, let reason):
            return "\(p) instruction \(k): \(reason)"
        }
    }
}

/// Namespace of the reference kernels: pure functions from operand values to result values.
enum Reference {}

/// One Float array per region. Operands are copied out, computed on, and copied back in; that keeps every
/// kernel a pure function and makes accumulation (`+=`) one rule in one place.
struct RegionStore {
    private var storage: [[Float]]

    static let regions: [Region] = [.none, .arena, .parameters, .gradients, .buffers, .optimizer, .input, .labels, .metrics]

    init(plan: Plan) {
        storage = Array(repeating: [], count: Self.regions.count)
        for r in Self.regions { storage[Int(r.rawValue)] = [Float](repeating: 0, count: plan.count(of: r)) }
    }

    func whole(_ r: Region) -> [Float] { storage[Int(r.rawValue)] }

    mutating func replace(_ r: Region, with values: [Float]) {
        precondition(values.count == storage[Int(r.rawValue)].count,
                     "write(\(r)): expected \(storage[Int(r.rawValue)].count) values, got \(values.count)")
        storage[Int(r.rawValue)] = values
    }

    func load(_ t: TensorRef) -> [Float] {
        guard t.isPresent else { return [] }
        return Array(storage[Int(t.region.rawValue)][t.offset..<t.end])
    }

    /// nil for an absent operand (no bias, no affine scale).
    func loadIfPresent(_ t: TensorRef) -> [Float]? { t.isPresent ? load(t) : nil }

    /// Writes `values` to `t`, or adds them when `accumulate`; an absent `t` swallows the values.
    mutating func store(_ values: [Float], _ t: TensorRef, accumulate: Bool = false) {
        guard t.isPresent else { return }
        precondition(values.count == t.count, "kernel produced \(values.count) values for \(t)")
        let r = Int(t.region.rawValue)
        for k in 0..<t.count {
            if accumulate { storage[r][t.offset + k] += values[k] } else { storage[r][t.offset + k] = values[k] }
        }
    }
}

/// Int32 values (labels, argmax) travel in Float slots by bit pattern.
extension Float {
    init(int32 v: Int32) { self.init(bitPattern: UInt32(bitPattern: v)) }
    var int32: Int32 { Int32(bitPattern: bitPattern) }
}

public final class ReferenceExecutor: PlanExecutor {
    public let plan: Plan
    var memory: RegionStore
    public var seed: UInt32 = 0
    public var step: Int = 0

    init(plan: Plan) {
        self.plan = plan
        memory = RegionStore(plan: plan)
    }

    public func setBatch(images: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>) {
        memory.replace(.input, with: Array(images))
        memory.replace(.labels, with: labels.map { Float(int32: $0) })
    }

    public func trainStep(learningRate: Float) {
        for ins in plan.trainProgram { execute(ins, learningRate: learningRate) }
        step += 1
    }

    public func evalStep() {
        for ins in plan.evalProgram { execute(ins, learningRate: 0) }
    }

    public func takeMetrics() -> StepMetrics {
        let m = memory.whole(.metrics)
        memory.replace(.metrics, with: [Float](repeating: 0, count: m.count))
        return StepMetrics(lossSum: Double(m[0]), correct: Double(m[1]), samples: Double(m[2]))
    }

    public func outputs() -> [Float] { memory.load(plan.output) }

    public func read(_ region: Region) -> [Float] { memory.whole(region) }

    public func write(_ region: Region, _ values: [Float]) { memory.replace(region, with: values) }

    /// Every operand must lie inside its region, and a derivative "from the output" must exist for the activation.
    static func validate(_ plan: Plan) throws {
        for (name, program) in [("train", plan.trainProgram), ("eval", plan.evalProgram)] {
            for (k, ins) in program.enumerated() {
                for t in ins.inputs + ins.outputs where t.isPresent {
                    let n = plan.count(of: t.region)
                    guard t.offset >= 0, t.count >= 0, t.end <= n else {
                        throw ReferenceBackendError.operandOutOfBounds(program: name, instruction: k, operand: t, regionCount: n)
                    }
                }
                if case .activationBackward(let a, true) = ins.op, !a.differentiableFromOutput {
                    throw ReferenceBackendError.unsupported(program: name, instruction: k,
                                                            reason: "\(a) has no derivative from its output")
                }
            }
        }
        guard plan.output.end <= plan.count(of: plan.output.region) else {
            throw ReferenceBackendError.operandOutOfBounds(program: "output", instruction: -1, operand: plan.output,
                                                           regionCount: plan.count(of: plan.output.region))
        }
    }

    /// Operand `k`, or absent when the instruction lists fewer operands.
    private func operand(_ list: [TensorRef], _ k: Int) -> TensorRef { k < list.count ? list[k] : .absent }

    func execute(_ ins: Instruction, learningRate: Float) {
        let i = { (k: Int) in self.operand(ins.inputs, k) }
        let o = { (k: Int) in self.operand(ins.outputs, k) }
        let acc = ins.accumulate
        switch ins.op {
        case .conv2d(let g, let act):
            let y = Reference.conv2d(g, x: memory.load(i(0)), weight: memory.load(i(1)), bias: memory.loadIfPresent(i(2)), activation: act)
            memory.store(y, o(0))
        case .conv2dBackwardData(let g):
            memory.store(Reference.conv2dBackwardData(g, dy: memory.load(i(0)), weight: memory.load(i(1))), o(0), accumulate: acc)
        case .conv2dBackwardFilter(let g):
            let (dw, db) = Reference.conv2dBackwardFilter(g, x: memory.load(i(0)), dy: memory.load(i(1)))
            memory.store(dw, o(0), accumulate: acc)
            memory.store(db, o(1), accumulate: acc)
        case .linear(let g, let act):
            let y = Reference.linear(g, x: memory.load(i(0)), weight: memory.load(i(1)), bias: memory.loadIfPresent(i(2)), activation: act)
            memory.store(y, o(0))
        case .linearBackwardData(let g):
            memory.store(Reference.linearBackwardData(g, dy: memory.load(i(0)), weight: memory.load(i(1))), o(0), accumulate: acc)
        case .linearBackwardFilter(let g):
            let (dw, db) = Reference.linearBackwardFilter(g, x: memory.load(i(0)), dy: memory.load(i(1)))
            memory.store(dw, o(0), accumulate: acc)
            memory.store(db, o(1), accumulate: acc)
        case .batchNorm(let g, let training, let act):
            let r = Reference.batchNorm(g, training: training, x: memory.load(i(0)), scale: memory.loadIfPresent(i(1)),
                                        shift: memory.loadIfPresent(i(2)), runningMean: memory.load(i(3)),
                                        runningVar: memory.load(i(4)), activation: act)
            memory.store(r.y, o(0))
            if training {
                memory.store(r.savedMean, o(1))
                memory.store(r.savedInvStd, o(2))
                memory.store(r.runningMean, i(3))   // running statistics are updated in place
                memory.store(r.runningVar, i(4))
            }
        case .batchNormAdd(let g, let training, let act):
            // Composed: the batch norm (rounded to Float), then the add with the activation.
            let r = Reference.batchNorm(g, training: training, x: memory.load(i(0)), scale: memory.loadIfPresent(i(1)),
                                        shift: memory.loadIfPresent(i(2)), runningMean: memory.load(i(3)),
                                        runningVar: memory.load(i(4)), activation: nil)
            memory.store(Reference.add([r.y, memory.load(i(5))], activation: act), o(0))
            if training {
                memory.store(r.savedMean, o(1))
                memory.store(r.savedInvStd, o(2))
                memory.store(r.runningMean, i(3))
                memory.store(r.runningVar, i(4))
            }
        case .batchNormBackward(let g, let accumulateParameters):
            let r = Reference.batchNormBackward(g, x: memory.load(i(0)), dy: memory.load(i(1)), scale: memory.loadIfPresent(i(2)),
                                                savedMean: memory.load(i(3)), savedInvStd: memory.load(i(4)))
            memory.store(r.dx, o(0), accumulate: acc)
            memory.store(r.dScale, o(1), accumulate: accumulateParameters)
            memory.store(r.dShift, o(2), accumulate: accumulateParameters)
        case .batchNormReluBackward(let g, let accumulateParameters):
            // Composed: the ReLU's backward from its output, then the batch norm's.
            let masked = Reference.activationBackward(.relu, fromOutput: true, value: memory.load(i(5)), dy: memory.load(i(1)))
            let r = Reference.batchNormBackward(g, x: memory.load(i(0)), dy: masked, scale: memory.loadIfPresent(i(2)),
                                                savedMean: memory.load(i(3)), savedInvStd: memory.load(i(4)))
            memory.store(r.dx, o(0), accumulate: acc)
            memory.store(r.dScale, o(1), accumulate: accumulateParameters)
            memory.store(r.dShift, o(2), accumulate: accumulateParameters)
        case .activation(let a):
            memory.store(memory.load(i(0)).map { Reference.activate(a, $0) }, o(0))
        case .activationBackward(let a, let fromOutput):
            let dx = Reference.activationBackward(a, fromOutput: fromOutput, value: memory.load(i(0)), dy: memory.load(i(1)))
            memory.store(dx, o(0), accumulate: acc)
        case .maxPool(let g):
            let (y, argmax) = Reference.maxPool(g, x: memory.load(i(0)))
            memory.store(y, o(0))
            memory.store(argmax.map { Float(int32: $0) }, o(1))
        case .maxPoolBackward(let g):
            let dx = Reference.maxPoolBackward(g, dy: memory.load(i(0)), argmax: memory.load(i(1)).map(\.int32))
            memory.store(dx, o(0), accumulate: acc)
        case .maxPoolReluBackward(let g):
            let scattered = Reference.maxPoolBackward(g, dy: memory.load(i(0)), argmax: memory.load(i(1)).map(\.int32))
            let dx = Reference.activationBackward(.relu, fromOutput: true, value: memory.load(i(2)), dy: scattered)
            memory.store(dx, o(0), accumulate: acc)
        case .avgPool(let g):
            memory.store(Reference.avgPool(g, x: memory.load(i(0))), o(0))
        case .avgPoolBackward(let g):
            memory.store(Reference.avgPoolBackward(g, dy: memory.load(i(0))), o(0), accumulate: acc)
        case .adaptiveAvgPool(let g):
            memory.store(Reference.adaptiveAvgPool(g, x: memory.load(i(0))), o(0))
        case .adaptiveAvgPoolBackward(let g):
            memory.store(Reference.adaptiveAvgPoolBackward(g, dy: memory.load(i(0))), o(0), accumulate: acc)
        case .dropout(let p, let salt):
            let mask = Reference.dropoutMask(count: i(0).count, p: p, seed: seed, step: step, salt: salt)
            memory.store(Reference.multiply(memory.load(i(0)), mask), o(0))
            memory.store(mask, o(1))
        case .dropoutBackward:
            memory.store(Reference.multiply(memory.load(i(0)), memory.load(i(1))), o(0), accumulate: acc)
        case .add(let act):
            memory.store(Reference.add(ins.inputs.map { memory.load($0) }, activation: act), o(0))
        case .concat(let g):
            memory.store(Reference.concat(g, ins.inputs.map { memory.load($0) }), o(0))
        case .concatBackward(let g, let flags):
            let parts = Reference.concatBackward(g, dy: memory.load(i(0)))
            for (k, part) in parts.enumerated() {
                memory.store(part, o(k), accumulate: k < flags.count && flags[k])
            }
        case .softmax(let batch, let classes, let log):
            memory.store(Reference.softmax(batch: batch, classes: classes, log: log, x: memory.load(i(0))), o(0))
        case .softmaxBackward(let batch, let classes, let log):
            let dx = Reference.softmaxBackward(batch: batch, classes: classes, log: log, y: memory.load(i(0)), dy: memory.load(i(1)))
            memory.store(dx, o(0), accumulate: acc)
        case .copy:
            memory.store(memory.load(i(0)), o(0), accumulate: acc)
        case .multiply(let g):
            memory.store(Reference.multiply(g, memory.load(i(0)), memory.load(i(1))), o(0))
        case .multiplyBackward(let g, let ofBroadcast):
            let dy = memory.load(i(0)), other = memory.load(i(1))
            memory.store(ofBroadcast ? Reference.rowDot(g, dy, other) : Reference.multiply(g, dy, other), o(0), accumulate: acc)
        case .affine(let scale, let shift):
            memory.store(memory.load(i(0)).map { Float(Double(scale) * Double($0) + Double(shift)) }, o(0), accumulate: acc)
        case .softmaxCrossEntropy(let batch, let classes, let smoothing):
            let r = Reference.softmaxCrossEntropy(batch: batch, classes: classes, labelSmoothing: smoothing,
                                                  logits: memory.load(i(0)), labels: memory.load(i(1)).map(\.int32))
            memory.store(r.dLogits, o(0), accumulate: acc)
            memory.store([Float(r.lossSum), Float(r.correct), Float(r.counted), 0], o(1), accumulate: true)
        case .fill(let value):
            memory.store([Float](repeating: value, count: o(0).count), o(0))
        case .optimizer(let config):
            let r = Reference.optimizerUpdate(config, learningRate: learningRate, step: step, parameters: memory.load(o(0)),
                                              gradients: memory.load(i(0)), state: memory.load(o(1)))
            memory.store(r.parameters, o(0))
            memory.store(r.state, o(1))
        case .rowNorm(let g):
            let r = Reference.rowNorm(g, x: memory.load(i(0)), scale: memory.loadIfPresent(i(1)), shift: memory.loadIfPresent(i(2)))
            memory.store(r.y, o(0))
            memory.store(r.savedMean, o(1))
            memory.store(r.savedInvStd, o(2))
        case .rowNormBackward(let g, let accumulateParameters):
            let r = Reference.rowNormBackward(g, x: memory.load(i(0)), dy: memory.load(i(1)), scale: memory.loadIfPresent(i(2)),
                                              savedMean: memory.load(i(3)), savedInvStd: memory.load(i(4)))
            memory.store(r.dx, o(0), accumulate: acc)
            memory.store(r.dScale, o(1), accumulate: accumulateParameters)
            memory.store(r.dShift, o(2), accumulate: accumulateParameters)
        case .prelu(let g):
            memory.store(Reference.prelu(g, x: memory.load(i(0)), slopes: memory.load(i(1))), o(0))
        case .preluBackward(let g, let accumulateParameters):
            let r = Reference.preluBackward(g, x: memory.load(i(0)), dy: memory.load(i(1)), slopes: memory.load(i(2)))
            memory.store(r.dx, o(0), accumulate: acc)
            memory.store(r.dSlopes, o(1), accumulate: accumulateParameters)
        case .localResponseNorm(let g):
            let r = Reference.localResponseNorm(g, x: memory.load(i(0)))
            memory.store(r.y, o(0))
            memory.store(r.base, o(1))
        case .localResponseNormBackward(let g):
            // D is recomputed from x in Double rather than read back rounded to Float.
            memory.store(Reference.localResponseNormBackward(g, x: memory.load(i(0)), dy: memory.load(i(1))), o(0), accumulate: acc)
        case .pad(let g):
            memory.store(Reference.pad(g, x: memory.load(i(0))), o(0))
        case .padBackward(let g):
            memory.store(Reference.padBackward(g, dy: memory.load(i(0))), o(0), accumulate: acc)
        case .upsample(let g):
            memory.store(Reference.upsample(g, x: memory.load(i(0))), o(0))
        case .upsampleBackward(let g):
            memory.store(Reference.upsampleBackward(g, dy: memory.load(i(0))), o(0), accumulate: acc)
        case .channelBias(let g):
            memory.store(Reference.channelBias(g, x: memory.load(i(0)), bias: memory.load(i(1))), o(0))
        case .channelBiasBackward(let g):
            memory.store(Reference.channelBiasBackward(g, dy: memory.load(i(0))), o(0), accumulate: acc)
        case .permute(let g):
            memory.store(Reference.permute(g, x: memory.load(i(0))), o(0), accumulate: acc)
        }
    }
}
