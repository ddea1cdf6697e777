import COpenCL
import Engine
import Foundation

/// A plan loaded on a device: one zero-filled cl_mem per region, one prebound cl_kernel per launch.
/// A step is the prebuilt launch list enqueued back to back on an in-order queue; only the learning rate,
/// dropout step/seed and Adam's bias corrections are re-set between steps. No host synchronisation happens
/// inside `trainStep`/`evalStep`; `takeMetrics`, `outputs`, `read` and `write` are the sync points.
///
/// Not thread-safe: one owner drives it (as `PlanExecutor` requires).
public final class OpenCLExecutor: PlanExecutor {
    public let plan: Plan
    public var seed: UInt32 = 0
    public var step: Int = 0
    /// Kernel enqueues and host waits since load (waits: blocking reads/writes, finishes, staging waits).
    public internal(set) var enqueueCount = 0
    public internal(set) var waitCount = 0
    /// Bytes written from the host to the device since load (batches, region writes, resident data and orders).
    public internal(set) var uploadedBytes = 0
    /// The first OpenCL failure during a step (steps cannot throw); sync points report NaN while set.
    public internal(set) var failure: OpenCLError?
    public var trainLaunchCount: Int { train.count }
    public var evalLaunchCount: Int { eval.count }
    /// Bytes allocated on the device (regions plus scratch).
    public private(set) var deviceBytes = 0
    /// The GEMM problems of the plan as lowered for this device (what `llmatic tune` tunes).
    public private(set) var gemmShapes: [GemmShape] = []

    struct Prepared {
        let kernel: Kernel
        let global: [Int]
        let local: [Int]
        let dynamic: [(index: Int, value: DynamicArg)]
        let op: String
        let instruction: String
    }

    let runtime: DeviceRuntime
    let queue: CommandQueue
    var buffers: [Region: Buffer] = [:]
    private var workspace: Buffer
    private var train: [Prepared] = []
    private var eval: [Prepared] = []
    private var inputStaging: Staging
    private var labelStaging: Staging
    private var profileEvents: [(op: String, kernel: String, instruction: String, event: cl_event)] = []
    private var profileTotals: [ProfileKey: [String: (calls: Int, seconds: Double)]] = [:]
    /// The data set kept on the device, when a trainer asked for it (OpenCLExecutor+ResidentData.swift).
    var resident: ResidentDataSet?

    init(plan: Plan, runtime: DeviceRuntime, tune: Bool, tuningBudget: Double, profiling: Bool,
         gemmOverride: GemmParameters? = nil, workspaceCap: Int? = nil, workSizes: WorkSizes? = nil) throws {
        self.plan = plan
        self.runtime = runtime
        queue = try CommandQueue(runtime, profiling: profiling)
        let device = runtime.device
        let regions: [Region] = [.arena, .parameters, .gradients, .buffers, .optimizer, .input, .labels, .metrics]
        // Memory first: a region beyond the device's allocation limit is out of memory whatever its element count
        // (devices with an 8 GiB limit reach it above 2^31 floats, where the offset limit would speak first).
        for r in regions { try runtime.checkFits(bytes: 4 * plan.count(of: r), what: "region \(r)") }
        for r in regions where plan.count(of: r) > Int(Int32.max) {
            throw OpenCLError.unsupported("region \(r) has \(plan.count(of: r)) elements; 32-bit kernel offsets allow \(Int32.max)")
        }
        var total = 0
        for r in regions {
            buffers[r] = try runtime.buffer(bytes: 4 * plan.count(of: r), queue: queue, what: "region \(r)")
            total += max(4 * plan.count(of: r), 4)
        }

        // Tests pass other sizes to reach the split reductions and padded plane grids a GPU would get.
        let sizes = workSizes ?? WorkSizes(kind: device.kind, computeUnits: device.computeUnits, maxWorkGroupSize: device.maxWorkGroupSize)
        // Scratch cap: 32 Mi floats (128 MiB) or half the largest allocation; tests lower it to force chunking.
        let cap = workspaceCap ?? max(1 << 20, min(32 << 20, device.maxAllocation / 4 / 2))
        let selector = GemmSelector(runtime: runtime)
        selector.override = gemmOverride
        func lowerAll(_ parameters: @escaping (GemmShape) -> GemmParameters) throws -> ([Launch], [Launch], Int) {
            var lowering = Lowering(sizes: sizes, workspaceCap: cap, gemmParameters: parameters)
            func label(_ program: [Instruction]) throws -> [Launch] {
                try program.enumerated().flatMap { i, ins in
                    try lowering.lower(ins).map { var l = $0; l.instruction = "\(i) \(ins.node) \(ins.opName)"; return l }
                }
            }
            let t = try label(plan.trainProgram)
            let e = try label(plan.evalProgram)
            return (t, e, lowering.workspaceFloats)
        }
        var (trainLaunches, evalLaunches, workspaceFloats) = try lowerAll { selector.parameters(for: $0) }
        if tune {
            let shapes = Set((trainLaunches + evalLaunches).compactMap(\.gemmShape))
            let tuner = GemmTuner(runtime: runtime, budgetSeconds: tuningBudget)
            selector.chosen = tuner.tune(Array(shapes).sorted { $0.flops > $1.flops })
            (trainLaunches, evalLaunches, workspaceFloats) = try lowerAll { selector.parameters(for: $0) }
        }
        workspace = try runtime.buffer(bytes: 4 * workspaceFloats, queue: queue, what: "convolution workspace")
        total += max(4 * workspaceFloats, 4)
        deviceBytes = total
        gemmShapes = Set((trainLaunches + evalLaunches).compactMap(\.gemmShape)).sorted { $0.flops > $1.flops }
        inputStaging = Staging(bytes: 4 * plan.inputCount)
        labelStaging = Staging(bytes: 4 * plan.labelCount)

        let defines = [("WGS", String(sizes.reduction))]
        var programs: [ProgramID: Program] = [:]
        func prepare(_ launch: Launch) throws -> Prepared {
            let program: Program
            if let p = programs[launch.program] {
                program = p
            } else {
                switch launch.program {
                case .family(let file): program = try runtime.program(["common.cl", file], defines: defines)
                case .gemm(let p): program = try runtime.program(["common.cl", "gemm.cl"], defines: p.defines)
                }
                programs[launch.program] = program
            }
            let kernel = try program.kernel(launch.kernel)
            let dynamic = try kernel.bind(launch.args) { region in
                guard let region else { return workspace.mem }
                return (buffers[region] ?? buffers[.metrics] ?? workspace).mem
            }
            let limit = kernel.maxWorkGroupSize(device.handle.id)
            let size = launch.local.reduce(1, *)
            if limit > 0 && size > limit {
                throw OpenCLError.unsupported("\(launch.kernel) needs work-groups of \(size); this device allows \(limit) for it")
            }
            return Prepared(kernel: kernel, global: launch.global, local: launch.local, dynamic: dynamic, op: launch.op,
                            instruction: launch.instruction)
        }
        train = try trainLaunches.map(prepare)
        eval = try evalLaunches.map(prepare)
        // Zero-fills and uploads of initial state complete before the first step can race them.
        try queue.finish()
    }

    deinit {
        clFinish(queue.queue)
        for (_, _, _, event) in profileEvents { clReleaseEvent(event) }
        inputStaging.release()
        labelStaging.release()
    }

    // MARK: steps

    public func setBatch(images: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>) {
        precondition(images.count == plan.inputCount && labels.count == plan.labelCount, "batch does not match the plan")
        guard let imageBase = images.baseAddress, let labelBase = labels.baseAddress else { return }
        upload(&inputStaging, UnsafeRawPointer(imageBase), to: .input)
        upload(&labelStaging, UnsafeRawPointer(labelBase), to: .labels)
    }

    public func trainStep(learningRate: Float) {
        let t = Double(step + 1)
        var c1: Float = 1, c2: Float = 1
        if case .adam(let beta1, let beta2, _, _, _) = plan.options.optimizer {
            c1 = Float(1 - pow(Double(beta1), t))
            c2 = Float(1 - pow(Double(beta2), t))
        }
        run(train) { d -> (Int32?, Float?) in
            switch d {
            case .learningRate: return (nil, learningRate)
            case .seed: return (Int32(bitPattern: self.seed), nil)
            case .step: return (Int32(bitPattern: UInt32(truncatingIfNeeded: self.step)), nil)
            case .adamCorrection1: return (nil, c1)
            case .adamCorrection2: return (nil, c2)
            }
        }
        step += 1
    }

    public func evalStep() {
        run(eval) { _ in (0, nil) }
    }

    private func run(_ launches: [Prepared], _ value: (DynamicArg) -> (Int32?, Float?)) {
        guard failure == nil else { return }
        do {
            for p in launches {
                for (index, d) in p.dynamic {
                    let (i, f) = value(d)
                    if let f { try p.kernel.set(index, float: f) } else { try p.kernel.set(index, int: i ?? 0) }
                }
                var event: cl_event?
                let status: cl_int
                if queue.profiling {
                    status = clEnqueueNDRangeKernel(queue.queue, p.kernel.kernel, cl_uint(p.global.count), nil, p.global,
                                                    p.local, 0, nil, &event)
                } else {
                    status = clEnqueueNDRangeKernel(queue.queue, p.kernel.kernel, cl_uint(p.global.count), nil, p.global,
                                                    p.local, 0, nil, nil)
                }
                try check(status, "clEnqueueNDRangeKernel(\(p.kernel.name))")
                enqueueCount += 1
                if let event { profileEvents.append((p.op, p.kernel.name, p.instruction, event)) }
            }
            // Start the device on the step now; clFlush does not wait.
            try check(clFlush(queue.queue), "clFlush")
            if profileEvents.count > 50_000 { collectProfile() }
        } catch let e as OpenCLError {
            failure = e
        } catch {
            failure = .unsupported("\(error)")
        }
    }

    // MARK: sync points

    public func takeMetrics() -> StepMetrics {
        var values = [Float](repeating: .nan, count: Plan.metricsCount)
        guard blockingRead(.metrics, offset: 0, into: &values) else { return StepMetrics(lossSum: .nan, correct: .nan, samples: .nan) }
        if let metrics = buffers[.metrics] {
            var zero: Float = 0
            record(clEnqueueFillBuffer(queue.queue, metrics.mem, &zero, 4, 0, 4 * Plan.metricsCount, 0, nil, nil), "clEnqueueFillBuffer")
        }
        return StepMetrics(lossSum: Double(values[0]), correct: Double(values[1]), samples: Double(values[2]))
    }

    public func outputs() -> [Float] {
        var values = [Float](repeating: .nan, count: plan.output.count)
        _ = blockingRead(plan.output.region, offset: plan.output.offset, into: &values)
        return values
    }

    public func read(_ region: Region) -> [Float] {
        var values = [Float](repeating: .nan, count: plan.count(of: region))
        _ = blockingRead(region, offset: 0, into: &values)
        return values
    }

    public func write(_ region: Region, _ values: [Float]) {
        guard let buffer = buffers[region], failure == nil else { return }
        let count = min(values.count, plan.count(of: region))
        guard count > 0 else { return }
        values.withUnsafeBytes { raw in
            record(clEnqueueWriteBuffer(queue.queue, buffer.mem, cl_bool(CL_TRUE), 0, 4 * count, raw.baseAddress, 0, nil, nil),
                   "clEnqueueWriteBuffer(\(region))")
        }
        waitCount += 1
        uploadedBytes += 4 * count
    }

    /// Waits for all enqueued work (for benchmarks that time steps).
    public func synchronize() {
        record(clFinish(queue.queue), "clFinish")
        waitCount += 1
    }

    /// How `takeProfile` groups kernel times: by op (`conv2d`), by `op/kernel` (`conv2d/im2col`), or by plan
    /// instruction (`12 conv2 conv2d`: index in the train or eval program, node, op).
    public enum ProfileKey: Sendable { case op, kernel, instruction }

    /// Device time per group since the last call with the same key (profiling mode only), most expensive first.
    public func takeProfile(by key: ProfileKey = .op) -> [(op: String, calls: Int, seconds: Double)] {
        collectProfile()
        let result = (profileTotals[key] ?? [:]).map { (op: $0.key, calls: $0.value.calls, seconds: $0.value.seconds) }
            .sorted { $0.seconds > $1.seconds }
        profileTotals[key] = nil
        return result
    }

    private func collectProfile() {
        guard !profileEvents.isEmpty else { return }
        synchronize()
        for (op, kernel, instruction, event) in profileEvents {
            var start: cl_ulong = 0, end: cl_ulong = 0
            clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_START), 8, &start, nil)
            clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_END), 8, &end, nil)
            let seconds = end > start ? Double(end - start) * 1e-9 : 0
            for (key, name) in [(ProfileKey.op, op), (.kernel, "\(op)/\(kernel)"), (.instruction, instruction)] {
                let old = profileTotals[key]?[name] ?? (0, 0)
                profileTotals[key, default: [:]][name] = (old.calls + 1, old.seconds + seconds)
            }
            clReleaseEvent(event)
        }
        profileEvents = []
    }

    private func blockingRead(_ region: Region, offset: Int, into values: inout [Float]) -> Bool {
        guard failure == nil, let buffer = buffers[region], !values.isEmpty else { return failure == nil }
        let bytes = 4 * values.count
        let status = values.withUnsafeMutableBytes { raw in
            clEnqueueReadBuffer(queue.queue, buffer.mem, cl_bool(CL_TRUE), 4 * offset, bytes, raw.baseAddress, 0, nil, nil)
        }
        waitCount += 1
        record(status, "clEnqueueReadBuffer(\(region))")
        return failure == nil
    }

    func record(_ status: cl_int, _ call: String) {
        if status != CL_SUCCESS && failure == nil { failure = OpenCLError.from(status, call: call) }
    }

    /// Copies into the next staging slot and enqueues a non-blocking write from it. The slot's previous
    /// write must be done before it is overwritten; with two slots that is almost always already true.
    private func upload(_ staging: inout Staging, _ source: UnsafeRawPointer, to region: Region) {
        guard failure == nil, let buffer = buffers[region], staging.bytes > 0 else { return }
        let slot = staging.next
        staging.next ^= 1
        if let pending = staging.events[slot] {
            var state: cl_int = CL_COMPLETE
            clGetEventInfo(pending, cl_event_info(CL_EVENT_COMMAND_EXECUTION_STATUS), 4, &state, nil)
            if state != CL_COMPLETE {
                var list: cl_event? = pending
                record(clWaitForEvents(1, &list), "clWaitForEvents")
                waitCount += 1
            }
            clReleaseEvent(pending)
            staging.events[slot] = nil
        }
        staging.memory[slot].copyMemory(from: source, byteCount: staging.bytes)
        var event: cl_event?
        record(clEnqueueWriteBuffer(queue.queue, buffer.mem, cl_bool(CL_FALSE), 0, staging.bytes, staging.memory[slot],
                                    0, nil, &event), "clEnqueueWriteBuffer(\(region))")
        staging.events[slot] = event
        uploadedBytes += staging.bytes
    }
}

/// Two host buffers a batch is copied into, so the caller's memory is free on return while the device
/// reads the copy asynchronously.
struct Staging {
    let bytes: Int
    var memory: [UnsafeMutableRawPointer]
    var events: [cl_event?] = [nil, nil]
    var next = 0

    init(bytes: Int) {
        self.bytes = bytes
        memory = (0..<2).map { _ in UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 4), alignment: 64) }
    }

    /// After the queue has finished: frees the copies.
    mutating func release() {
        for case let e? in events { clReleaseEvent(e) }
        events = [nil, nil]
        for m in memory { m.deallocate() }
        memory = []
    }
}
