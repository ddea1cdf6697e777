#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS
import CVectorKernels
import Engine

/// The CPU backend: im2col + OpenBLAS sgemm, vectorisable loops, and a small persistent thread pool.
public struct CPUBackend: Backend {
    /// Online processors of this machine.
    public static let defaultThreads: Int = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    public let threads: Int

    public init(threads: Int = CPUBackend.defaultThreads) {
        self.threads = max(1, threads)
    }

    public var name: String { "cpu (\(threads) thread\(threads == 1 ? "" : "s"), OpenBLAS)" }

    public func load(_ plan: Plan) throws -> any PlanExecutor {
        try checkSupport(plan)
        return try CPUExecutor(plan: plan, threads: threads)
    }

    /// Every op: this backend's one dispatch over `Op` (`Binder.bind` / `bindRest`) is exhaustive with no `default:` and has a
    /// kernel in every arm, so a new op does not compile until it has one here too.
    public func supports(_ op: Op) -> Bool { true }
}

/// What kernels read at run time: the learning rate of this step, the step count and the dropout seed.
struct RunState {
    var learningRate: Float = 0
    var step: Int = 0
    var seed: UInt32 = 0
}

/// A prebound instruction: raw pointers and sizes captured at load, nothing looked up or allocated per step.
typealias Kernel = () -> Void

/// A plan loaded on the CPU: its regions, a workspace, and both programs as flat arrays of prebound kernels.
public final class CPUExecutor: PlanExecutor {
    public let plan: Plan
    let pool: ThreadPool
    let state: UnsafeMutablePointer<RunState>
    private let buffers: [AlignedBuffer]
    /// Region base pointers indexed by `Region.rawValue` (nil for `.none`).
    private let bases: [UnsafeMutableRawPointer?]
    private let workspace: Workspace
    private var trainKernels: ContiguousArray<Kernel> = []
    private var evalKernels: ContiguousArray<Kernel> = []

    public init(plan: Plan, threads: Int = CPUBackend.defaultThreads) throws {
        // One BLAS thread: our pool owns the cores (see Gemm.swift for the measurement).
        openblas_set_num_threads(1)
        self.plan = plan
        let regions: [Region] = [.arena, .parameters, .gradients, .buffers, .optimizer, .input, .labels, .metrics]
        var buffers: [AlignedBuffer] = []
        var bases = [UnsafeMutableRawPointer?](repeating: nil, count: Int(Region.metrics.rawValue) + 1)
        for r in regions {
            let b = try AlignedBuffer(count: plan.count(of: r))
            buffers.append(b)
            bases[Int(r.rawValue)] = b.raw
        }
        self.buffers = buffers
        self.bases = bases
        pool = ThreadPool(threads: threads)
        workspace = try Workspace(programs: [plan.trainProgram, plan.evalProgram], workers: pool.workers)
        state = .allocate(capacity: 1)
        state.initialize(to: RunState())
        let binder = Binder(pool: pool, bases: bases, state: state, workspace: workspace)
        trainKernels = try binder.bind(program: plan.trainProgram)
        evalKernels = try binder.bind(program: plan.evalProgram)
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Worker threads in use (the caller included).
    public var threads: Int { pool.workers }

    /// Bytes held by regions and workspace.
    public var allocatedBytes: Int { 4 * (buffers.reduce(0) { $0 + $1.count } + workspace.floats) }

    private func base(_ r: Region) -> UnsafeMutableRawPointer? { bases[Int(r.rawValue)] }

    public func setBatch(images: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>) {
        if let input = base(.input), let src = images.baseAddress {
            input.copyMemory(from: src, byteCount: 4 * min(images.count, plan.inputCount))
        }
        if let target = base(.labels), let src = labels.baseAddress {
            target.copyMemory(from: src, byteCount: 4 * min(labels.count, plan.labelCount))
        }
    }

    public func trainStep(learningRate: Float) {
        state.pointee.learningRate = learningRate
        flushingDenormals {
            trainKernels.withUnsafeBufferPointer { kernels in
                for k in kernels { k() }
            }
        }
        state.pointee.step += 1
    }

    public func evalStep() {
        flushingDenormals {
            evalKernels.withUnsafeBufferPointer { kernels in
                for k in kernels { k() }
            }
        }
    }

    /// Runs instruction `index` of the train program alone (benchmarks time single ops this way).
    public func runTrainInstruction(_ index: Int) {
        guard index >= 0 && index < trainKernels.count else { return }
        flushingDenormals { trainKernels[index]() }
    }

    /// Runs `body` on the calling thread with subnormal Floats flushed to zero, then restores the caller's mode (the
    /// pool's own workers keep it for their lifetime): see CVectorKernels' float_mode.c for why.
    private func flushingDenormals(_ body: () -> Void) {
        let previous = cvk_flush_denormals_begin()
        body()
        cvk_float_mode_restore(previous)
    }

    public func takeMetrics() -> StepMetrics {
        guard let m = base(.metrics)?.assumingMemoryBound(to: Float.self) else { return StepMetrics() }
        let result = StepMetrics(lossSum: Double(m[0]), correct: Double(m[1]), samples: Double(m[2]))
        m.update(repeating: 0, count: Plan.metricsCount)
        return result
    }

    public func outputs() -> [Float] {
        guard let arena = base(plan.output.region)?.assumingMemoryBound(to: Float.self) else { return [] }
        return Array(UnsafeBufferPointer(start: arena + plan.output.offset, count: plan.output.count))
    }

    public func read(_ region: Region) -> [Float] {
        guard let p = base(region)?.assumingMemoryBound(to: Float.self) else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: plan.count(of: region)))
    }

    public func write(_ region: Region, _ values: [Float]) {
        guard let p = base(region)?.assumingMemoryBound(to: Float.self) else { return }
        values.withUnsafeBufferPointer { src in
            guard let s = src.baseAddress else { return }
            p.update(from: s, count: min(src.count, plan.count(of: region)))
        }
    }

    public var seed: UInt32 {
        get { state.pointee.seed }
        set { state.pointee.seed = newValue }
    }

    public var step: Int {
        get { state.pointee.step }
        set { state.pointee.step = newValue }
    }
}
