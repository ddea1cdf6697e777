import COpenCL
import Foundation

/// The process-wide state of one device: its context and a cache of built programs, shared by every backend
/// and executor on that device so a kernel compiles once per process (PoCL compiles slowly).
/// OpenCL contexts and programs are thread-safe objects (OpenCL 1.2 §A.2); the cache dictionary is guarded
/// by `lock`. Hence `@unchecked Sendable`.
final class DeviceRuntime: @unchecked Sendable {
    let device: OpenCLDevice
    let context: cl_context
    private let lock = NSLock()
    private var programs: [String: Program] = [:]
    private(set) var buildCount = 0

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: DeviceRuntime] = [:]

    /// The shared runtime of `device` (created on first use).
    static func shared(_ device: OpenCLDevice) throws -> DeviceRuntime {
        registryLock.lock()
        defer { registryLock.unlock() }
        let key = "\(device.platformName)|\(device.name)|\(device.index)"
        if let runtime = registry[key] { return runtime }
        let runtime = try DeviceRuntime(device)
        registry[key] = runtime
        return runtime
    }

    private init(_ device: OpenCLDevice) throws {
        self.device = device
        var status: cl_int = 0
        var id: cl_device_id? = device.handle.id
        guard let ctx = clCreateContext(nil, 1, &id, nil, nil, &status) else {
            throw OpenCLError.from(status == CL_SUCCESS ? CL_INVALID_CONTEXT : status, call: "clCreateContext")
        }
        try check(status, "clCreateContext")
        context = ctx
    }

    deinit { clReleaseContext(context) }

    /// Builds `files` (concatenated in order) with `defines`, or returns the cached program. The key is the
    /// source text's hash, the exact options and this device, so a changed kernel file rebuilds.
    func program(_ files: [String], defines: [(String, String)] = []) throws -> Program {
        let source = try files.map { try KernelSource.text(of: $0) }.joined(separator: "\n")
        return try program(source: source, name: files.joined(separator: "+"), defines: defines)
    }

    /// Builds raw OpenCL C `source` (cached like files).
    func program(source: String, name: String, defines: [(String, String)] = []) throws -> Program {
        let options = (["-cl-std=CL1.2"] + defines.map { "-D\($0.0)=\($0.1)" }).joined(separator: " ")
        let key = "\(fnv1a(source))|\(options)"
        lock.lock()
        defer { lock.unlock() }
        if let cached = programs[key] { return cached }
        let program = try Program(context: context, device: device.handle.id, source: source, name: name, options: options)
        programs[key] = program
        buildCount += 1
        return program
    }

    /// A zero-filled buffer of `bytes` (at least 4). Requests beyond the device's limits fail up front with
    /// `.outOfMemory`, since some drivers only fail at first use.
    func buffer(bytes: Int, queue: CommandQueue, what: String) throws -> Buffer {
        let size = max(bytes, 4)
        try checkFits(bytes: size, what: what)
        var status: cl_int = 0
        guard let mem = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), size, nil, &status), status == CL_SUCCESS else {
            throw OpenCLError.from(status == CL_SUCCESS ? CL_MEM_OBJECT_ALLOCATION_FAILURE : status, call: "clCreateBuffer(\(what))")
        }
        let buffer = Buffer(mem, bytes: size)
        var zero: Float = 0
        try check(clEnqueueFillBuffer(queue.queue, mem, &zero, 4, 0, size, 0, nil, nil), "clEnqueueFillBuffer(\(what))")
        return buffer
    }

    /// `.outOfMemory` when one allocation of `bytes` is beyond the device's per-allocation or global limit.
    func checkFits(bytes size: Int, what: String) throws {
        guard size <= device.maxAllocation else {
            throw OpenCLError.outOfMemory(call: "clCreateBuffer", detail:
                "\(what) needs \(size) bytes; the device allows \(device.maxAllocation) per allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE)")
        }
        guard size <= device.globalMemory else {
            throw OpenCLError.outOfMemory(call: "clCreateBuffer", detail: "\(what) needs \(size) bytes; the device has \(device.globalMemory)")
        }
    }
}

/// A cl_command_queue (in-order). Only the executor that owns it enqueues, from one thread at a time;
/// the handle itself may cross threads (OpenCL 1.2 §A.2). Hence `@unchecked Sendable`.
final class CommandQueue: @unchecked Sendable {
    let queue: cl_command_queue
    let profiling: Bool

    init(_ runtime: DeviceRuntime, profiling: Bool) throws {
        var status: cl_int = 0
        let properties = cl_command_queue_properties(profiling ? CL_QUEUE_PROFILING_ENABLE : 0)
        // clCreateCommandQueue is deprecated in 2.0 but is the 1.2 core entry point every ICD exports.
        guard let q = clCreateCommandQueue(runtime.context, runtime.device.handle.id, properties, &status),
              status == CL_SUCCESS else {
            throw OpenCLError.from(status == CL_SUCCESS ? CL_INVALID_COMMAND_QUEUE : status, call: "clCreateCommandQueue")
        }
        queue = q
        self.profiling = profiling
    }

    func finish() throws { try check(clFinish(queue), "clFinish") }

    deinit {
        clFinish(queue)
        clReleaseCommandQueue(queue)
    }
}

/// A cl_mem. Immutable handle, released when the last owner goes (OpenCL objects are thread-safe to
/// reference; see `CommandQueue`). Hence `@unchecked Sendable`.
final class Buffer: @unchecked Sendable {
    let mem: cl_mem
    let bytes: Int
    init(_ mem: cl_mem, bytes: Int) { self.mem = mem; self.bytes = bytes }
    deinit { clReleaseMemObject(mem) }
}

/// A built cl_program; kernels are created from it per executor (cl_kernel objects are not shared because
/// clSetKernelArg is not thread-safe on one kernel). Thread-safe handle, hence `@unchecked Sendable`.
final class Program: @unchecked Sendable {
    let program: cl_program
    let name: String

    init(context: cl_context, device: cl_device_id, source: String, name: String, options: String) throws {
        var status: cl_int = 0
        let created: cl_program? = source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            var length = strlen(text)
            return clCreateProgramWithSource(context, 1, &pointer, &length, &status)
        }
        guard let program = created, status == CL_SUCCESS else {
            throw OpenCLError.from(status == CL_SUCCESS ? CL_INVALID_PROGRAM : status, call: "clCreateProgramWithSource(\(name))")
        }
        self.program = program
        self.name = name
        var id: cl_device_id? = device
        let built = clBuildProgram(program, 1, &id, options, nil, nil)
        if built != CL_SUCCESS {
            let log = Program.buildLog(program, device)
            if built == CL_BUILD_PROGRAM_FAILURE || built == CL_INVALID_BUILD_OPTIONS || !log.isEmpty {
                throw OpenCLError.buildFailed(program: name, options: options, log: log.isEmpty ? errorName(built) : log)
            }
            throw OpenCLError.from(built, call: "clBuildProgram(\(name))")
        }
    }

    static func buildLog(_ program: cl_program, _ device: cl_device_id) -> String {
        var size = 0
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size) == CL_SUCCESS,
              size > 1 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil) == CL_SUCCESS
        else { return "" }
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func kernel(_ name: String) throws -> Kernel {
        var status: cl_int = 0
        guard let k = clCreateKernel(program, name, &status), status == CL_SUCCESS else {
            throw OpenCLError.from(status == CL_SUCCESS ? CL_INVALID_KERNEL_NAME : status, call: "clCreateKernel(\(name))")
        }
        return Kernel(k, name: name)
    }

    deinit { clReleaseProgram(program) }
}

/// A cl_kernel with its arguments. Owned by one executor and used from one thread at a time; hence
/// `@unchecked Sendable` only so it can sit in Sendable containers.
final class Kernel: @unchecked Sendable {
    let kernel: cl_kernel
    let name: String
    init(_ kernel: cl_kernel, name: String) { self.kernel = kernel; self.name = name }
    deinit { clReleaseKernel(kernel) }

    func set(_ index: Int, _ mem: cl_mem) throws {
        var m: cl_mem? = mem
        try check(clSetKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &m), "clSetKernelArg(\(name), \(index))")
    }
    func set(_ index: Int, int value: Int32) throws {
        var v = value
        try check(clSetKernelArg(kernel, cl_uint(index), 4, &v), "clSetKernelArg(\(name), \(index))")
    }
    func set(_ index: Int, float value: Float) throws {
        var v = value
        try check(clSetKernelArg(kernel, cl_uint(index), 4, &v), "clSetKernelArg(\(name), \(index))")
    }
    /// An `int16` vector argument (geometry of convolutions and pools).
    func set(_ index: Int, int16 values: [Int32]) throws {
        var v = [Int32](repeating: 0, count: 16)
        for (k, x) in values.prefix(16).enumerated() { v[k] = x }
        try check(clSetKernelArg(kernel, cl_uint(index), 64, &v), "clSetKernelArg(\(name), \(index))")
    }
    /// The work-group size limit of this kernel on `device` (registers can make it lower than the device's).
    func maxWorkGroupSize(_ device: cl_device_id) -> Int {
        var size = 0
        let s = clGetKernelWorkGroupInfo(kernel, device, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE),
                                         MemoryLayout<Int>.size, &size, nil)
        return s == CL_SUCCESS ? size : 0
    }
}

/// 64-bit FNV-1a, a stable hash of the kernel text for the program cache key.
func fnv1a(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}

/// Kernel sources: embedded at build time (`EmbeddedKernels`, from Kernels/*.cl), or read from the
/// directory named by `LLMATIC_KERNELS` for kernel development without rebuilding.
enum KernelSource {
    static func text(of file: String) throws -> String {
        if let dir = ProcessInfo.processInfo.environment["LLMATIC_KERNELS"], !dir.isEmpty {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(file)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw OpenCLError.missingSource("\(url.path) (LLMATIC_KERNELS=\(dir))")
            }
            return text
        }
        guard let text = EmbeddedKernels.sources[file] else { throw OpenCLError.missingSource("\(file) is not embedded") }
        return text
    }
}
