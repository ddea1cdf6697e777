import NetIR
import Engine
import ReferenceBackend

// The instruction-level comparison every backend's tests run over the op table (ggml's test-backend-ops is the
// model): each instruction on the reference's inputs, held to its (op, backend) bound in `Tolerances`.

public let allRegions: [Region] = [.arena, .parameters, .gradients, .buffers, .optimizer, .input, .labels, .metrics]

/// Everything an executor holds: each region, the dropout seed and the step count.
public struct ExecutorState {
    public var regions: [Region: [Float]]
    public var seed: UInt32
    public var step: Int

    public init(_ e: any PlanExecutor) {
        regions = Dictionary(uniqueKeysWithValues: allRegions.map { ($0, e.read($0)) })
        seed = e.seed
        step = e.step
    }

    /// Seeded random parameters, running statistics, optimizer state, input and labels (one padding label when
    /// the batch has three or more rows); the arena, gradients and metrics start at zero as after a load.
    public init(plan: Plan, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var parameters = plan.initialParameters(seed: seed)
        let roles = Dictionary(plan.graph.parameters.map { ($0.name, $0.role) }, uniquingKeysWith: { a, _ in a })
        for slot in plan.parameterSlots where roles[slot.name] == .scale || roles[slot.name] == .shift {
            for k in 0..<slot.count { parameters[slot.offset + k] = (roles[slot.name] == .scale ? 1 : 0) + rng.uniform(0.5) }
        }
        var buffers = [Float](repeating: 0, count: plan.bufferCount)
        for slot in plan.bufferSlots {
            let isVariance = slot.name.hasSuffix(".running_var")
            for k in 0..<slot.count { buffers[slot.offset + k] = isVariance ? 1 + rng.uniform(0.5) : rng.uniform(0.5) }
        }
        // Momentum in [-0.01, 0.01); Adam's v must stay non-negative, so its half is |·|.
        let p = plan.parameterCount
        let optimizer = (0..<plan.optimizerCount).map { k -> Float in
            let v = rng.uniform(0.01)
            return k >= p ? abs(v) : v
        }
        var labels = (0..<plan.labelCount).map { _ in Int32(Int(rng.next() % UInt64(plan.classes))) }
        if labels.count >= 3 { labels[1] = -1 }
        regions = [
            .arena: [Float](repeating: 0, count: plan.arenaCount),
            .parameters: parameters,
            .gradients: [Float](repeating: 0, count: p),
            .buffers: buffers,
            .optimizer: optimizer,
            .input: (0..<plan.inputCount).map { _ in rng.uniform(1) },
            .labels: labels.map { Float(bitPattern: UInt32(bitPattern: $0)) },
            .metrics: [Float](repeating: 0, count: Plan.metricsCount),
        ]
        self.seed = UInt32(truncatingIfNeeded: seed &* 2654435761)
        step = Int(seed % 7)
    }

    public func apply(to e: any PlanExecutor) {
        for r in allRegions { e.write(r, regions[r] ?? []) }
        e.seed = seed
        e.step = step
    }

    public func values(_ t: TensorRef) -> ArraySlice<Float> { (regions[t.region] ?? [])[t.offset..<t.end] }
}

/// `max|a - b| / max(1, max|b|)` with `b` the reference; NaN or a size mismatch is infinitely wrong.
public func normalisedError<A: Collection<Float>, B: Collection<Float>>(_ a: A, _ b: B) -> Double {
    guard a.count == b.count else { return .infinity }
    var worst = 0.0, scale = 1.0
    for (x, y) in zip(a, b) {
        let d = abs(Double(x) - Double(y))
        if d.isNaN { return .infinity }
        worst = max(worst, d)
        scale = max(scale, abs(Double(y)))
    }
    return worst / scale
}

public struct Discrepancy: CustomStringConvertible {
    public var location: String
    public var error: Double
    public var tolerance: Double
    public var description: String { "\(location): error \(error) > \(tolerance)" }
}

/// The tensors an instruction changes: its outputs, plus batch norm's running statistics (updated in place).
public func written(_ ins: Instruction) -> [TensorRef] {
    var refs = ins.outputs
    switch ins.op {
    case .batchNorm(_, true, _), .batchNormAdd(_, true, _): if ins.inputs.count >= 5 { refs += [ins.inputs[3], ins.inputs[4]] }
    default: break
    }
    return refs.filter { $0.isPresent && $0.count > 0 }
}

/// Max-pool argmax holds Int32 indices: compared bit for bit (as Floats they are denormals, all "close" to 0).
public func isIndexTensor(_ ins: Instruction, _ t: TensorRef) -> Bool {
    if case .maxPool = ins.op { return ins.outputs.count > 1 && t == ins.outputs[1] }
    return false
}

/// Runs `program` one instruction at a time: before each, both backends get the reference's state; after it,
/// the candidate's written tensors must match the reference's within the (op, backend) tolerance, and everything
/// else must be untouched. Each op is judged on identical inputs, so its own tolerance applies, not an accumulated one.
public func compareInstructions(_ plan: Plan, train: Bool, state start: ExecutorState, learningRate: Float,
                                candidate: any Backend, as backend: TestedBackend) throws -> [Discrepancy] {
    var found: [Discrepancy] = []
    var state = start
    for (k, ins) in (train ? plan.trainProgram : plan.evalProgram).enumerated() {
        var single = plan
        single.trainProgram = [ins]
        single.evalProgram = []
        let reference = try ReferenceBackend().load(single)
        let executor = try candidate.load(single)
        state.apply(to: reference)
        state.apply(to: executor)
        reference.trainStep(learningRate: learningRate)
        executor.trainStep(learningRate: learningRate)
        var after = ExecutorState(reference)
        let candidateAfter = ExecutorState(executor)
        let tolerance = Tolerances.of(ins.op, on: backend).value
        let name = "\(train ? "train" : "eval")[\(k)] \(ins.node) \(ins.opName)"
        var outside = candidateAfter.regions
        for t in written(ins) {
            let error = isIndexTensor(ins, t) ? (candidateAfter.values(t).map(\.bitPattern) == after.values(t).map(\.bitPattern) ? 0 : .infinity)
                                              : normalisedError(candidateAfter.values(t), after.values(t))
            if error > tolerance { found.append(Discrepancy(location: "\(name) -> \(t)", error: error, tolerance: tolerance)) }
            outside[t.region]?.replaceSubrange(t.offset..<t.end, with: after.values(t))
        }
        // Bit patterns: a padding label (-1) reads back as a NaN, which never equals itself.
        for r in allRegions where outside[r]?.map(\.bitPattern) != after.regions[r]?.map(\.bitPattern) {
            found.append(Discrepancy(location: "\(name) wrote \(r) outside its outputs", error: .infinity, tolerance: 0))
        }
        after.step = start.step   // every instruction sees the same step (dropout draws from it)
        state = after
    }
    return found
}

/// Whole steps on both backends from the same state: after each train step the parameters, running statistics
/// and metrics (within `tolerance`), gradients and optimizer state (within `gradientTolerance`); after a final
/// eval step the logits and metrics.
public func compareSteps(_ plan: Plan, state: ExecutorState, learningRate: Float, steps: Int, tolerance: Tolerance,
                         gradientTolerance: Tolerance, candidate: any Backend) throws -> [Discrepancy] {
    let reference = try ReferenceBackend().load(plan)
    let executor = try candidate.load(plan)
    state.apply(to: reference)
    state.apply(to: executor)
    var found: [Discrepancy] = []
    func check(_ what: String, _ a: [Float], _ b: [Float], _ bound: Tolerance = tolerance) {
        let error = normalisedError(a, b)
        if error > bound.value { found.append(Discrepancy(location: what, error: error, tolerance: bound.value)) }
    }
    func checkMetrics(_ what: String) {
        let m = executor.takeMetrics(), r = reference.takeMetrics()
        check("\(what) loss sum", [Float(m.lossSum)], [Float(r.lossSum)])
        if m.samples != r.samples || m.correct != r.correct {
            found.append(Discrepancy(location: "\(what) counts candidate \(m) reference \(r)", error: .infinity, tolerance: 0))
        }
    }
    for s in 0..<steps {
        reference.trainStep(learningRate: learningRate)
        executor.trainStep(learningRate: learningRate)
        for slot in plan.parameterSlots {
            let range = slot.offset..<(slot.offset + slot.count)
            check("step \(s) gradient of \(slot.name)", Array(executor.read(.gradients)[range]), Array(reference.read(.gradients)[range]),
                  gradientTolerance)
            check("step \(s) \(slot.name)", Array(executor.read(.parameters)[range]), Array(reference.read(.parameters)[range]))
        }
        check("step \(s) running statistics", executor.read(.buffers), reference.read(.buffers))
        check("step \(s) optimizer state", executor.read(.optimizer), reference.read(.optimizer), gradientTolerance)
        checkMetrics("step \(s) train metrics")
        if executor.step != reference.step {
            found.append(Discrepancy(location: "step counter \(executor.step) vs \(reference.step)", error: .infinity, tolerance: 0))
        }
    }
    reference.evalStep()
    executor.evalStep()
    check("eval logits", executor.outputs(), reference.outputs())
    checkMetrics("eval metrics")
    return found
}

/// The candidate's whole train step against its same kernels run one instruction at a time on its own values:
/// catches what only a whole program can get wrong (workspace shared between kernels, prebound pointers, the
/// step counter), with no reference rounding in between.
public func compareProgramWithItsInstructions(_ plan: Plan, state start: ExecutorState, learningRate: Float,
                                              candidate: any Backend, as backend: TestedBackend) throws -> [Discrepancy] {
    var chained = start
    for ins in plan.trainProgram {
        var single = plan
        single.trainProgram = [ins]
        single.evalProgram = []
        let executor = try candidate.load(single)
        chained.apply(to: executor)
        executor.trainStep(learningRate: learningRate)
        chained = ExecutorState(executor)
        chained.step = start.step
    }
    let whole = try candidate.load(plan)
    start.apply(to: whole)
    whole.trainStep(learningRate: learningRate)
    let bound = Tolerances.sameKernels(on: backend).value
    return [Region.parameters, .gradients, .buffers, .optimizer, .metrics].compactMap { r in
        let error = normalisedError(whole.read(r), chained.regions[r] ?? [])
        return error > bound ? Discrepancy(location: "whole train step vs its instructions: \(r)", error: error, tolerance: bound) : nil
    }
}


extension OpTable {
    /// Compiles `graph` for each batch size and fusion setting and compares `candidate` with the reference,
    /// instruction by instruction (train and eval programs, and the whole program against its instructions; unless
    /// `instructions` is false) and over `steps` whole train steps; one line per failing setting, empty when all agree.
    public static func disagreements(_ name: String, _ graph: Graph, batches: [Int], fuse: [Bool] = [true, false],
                              optimizer: OptimizerConfig = .defaultSGD, smoothing: Float = 0, learningRate: Float = 0.05,
                              steps: Int = 1, instructions: Bool = true, tolerance: Tolerance? = nil,
                              gradientTolerance: Tolerance? = nil, candidate: any Backend, as backend: TestedBackend) throws -> [String] {
        var failures: [String] = []
        for batch in batches {
            for f in fuse {
                let options = PlanOptions(batchSize: batch, optimizer: optimizer, labelSmoothing: smoothing, fuseActivations: f)
                let plan = try PlanCompiler.compile(graph, options: options, takes: candidate.supports)
                let state = ExecutorState(plan: plan, seed: UInt64(batch * 31 + (f ? 1 : 0)))
                var found: [Discrepancy] = []
                if instructions {
                    found += try compareInstructions(plan, train: true, state: state, learningRate: learningRate, candidate: candidate, as: backend)
                    found += try compareInstructions(plan, train: false, state: state, learningRate: learningRate, candidate: candidate, as: backend)
                    found += try compareProgramWithItsInstructions(plan, state: state, learningRate: learningRate, candidate: candidate, as: backend)
                }
                found += try compareSteps(plan, state: state, learningRate: learningRate, steps: steps,
                                          tolerance: tolerance ?? Tolerances.graph(on: backend),
                                          gradientTolerance: gradientTolerance ?? Tolerances.graph(on: backend), candidate: candidate)
                if !found.isEmpty {
                    failures.append("\(name) batch \(batch) fuse \(f) on \(candidate.name): \(found.count) discrepancies: \(found.prefix(6))")
                }
            }
        }
        return failures
    }
}

extension OpCase {
    /// This row on `candidate` against the reference (see `disagreements(_:_:batches:...)`).
    public func disagreements(candidate: any Backend, as backend: TestedBackend) throws -> [String] {
        try OpTable.disagreements(name, graph, batches: batches, fuse: fuse, optimizer: optimizer, smoothing: smoothing,
                                   learningRate: learningRate, steps: steps, candidate: candidate, as: backend)
    }
}
