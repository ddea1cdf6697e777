import COpenCL
import Foundation

/// The raw cl_device_id. OpenCL device ids are process-global, immutable handles that every cl* call accepts
/// from any thread (OpenCL 1.2 §A.2), so sharing them across tasks is safe: hence `@unchecked Sendable`.
final class DeviceID: @unchecked Sendable {
    let id: cl_device_id
    let platform: cl_platform_id
    init(_ id: cl_device_id, platform: cl_platform_id) { self.id = id; self.platform = platform }
}

/// One OpenCL device as the ICD loader reports it. `index` numbers devices across all platforms in
/// discovery order; `opencl:N` selects by it.
public struct OpenCLDevice: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable { case gpu, cpu, accelerator, other }

    public let index: Int
    public let platformName: String
    public let platformVersion: String
    public let name: String
    public let vendor: String
    public let kind: Kind
    public let computeUnits: Int
    public let clockMHz: Int
    public let globalMemory: Int
    public let maxAllocation: Int
    public let localMemory: Int
    public let maxWorkGroupSize: Int
    /// `OpenCL 3.0 CUDA`, as CL_DEVICE_VERSION says.
    public let openCLVersion: String
    public let driverVersion: String
    let handle: DeviceID

    /// One line for `llmatic devices` and logs.
    public var description: String {
        func mib(_ b: Int) -> String { b >= 1 << 30 ? "\(b >> 30) GiB" : "\(b >> 20) MiB" }
        return "opencl:\(index) \(name) [\(kind.rawValue), \(vendor)] \(computeUnits) CU @ \(clockMHz) MHz, "
            + "\(mib(globalMemory)) global (max alloc \(mib(maxAllocation))), \(localMemory >> 10) KiB local, "
            + "work-group \(maxWorkGroupSize), \(openCLVersion), driver \(driverVersion), platform \(platformName)"
    }

    /// Short name for `Backend.name`: `NVIDIA H100 (OpenCL 3.0 CUDA)`.
    public var shortName: String { "\(name) (\(openCLVersion))" }

    /// Peak-ish throughput used only to rank devices for `auto` (FMA lanes are unknown in OpenCL 1.2, so
    /// GPUs count 64 lanes per compute unit and CPUs 16).
    public var roughGFLOPS: Double {
        Double(computeUnits) * Double(max(clockMHz, 1)) * (kind == .gpu ? 128 : 32) / 1000
    }

    /// Every device on every platform; an empty list (not an error) when no OpenCL platform is installed.
    public static func all() throws -> [OpenCLDevice] {
        try PoCLTempFiles.sweeping(enumerate)
    }

    /// The work of `all()`; the first call initialises every installed OpenCL runtime.
    private static func enumerate() throws -> [OpenCLDevice] {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == -1001 || count == 0 { return [] }   // CL_PLATFORM_NOT_FOUND_KHR: no ICD installed
        try check(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(count))
        try check(clGetPlatformIDs(count, &platforms, nil), "clGetPlatformIDs")
        var devices: [OpenCLDevice] = []
        for case let platform? in platforms {
            var n: cl_uint = 0
            let s = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &n)
            if s == CL_DEVICE_NOT_FOUND || n == 0 { continue }
            try check(s, "clGetDeviceIDs")
            var ids = [cl_device_id?](repeating: nil, count: Int(n))
            try check(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), n, &ids, nil), "clGetDeviceIDs")
            for case let id? in ids {
                devices.append(try OpenCLDevice(index: devices.count, id: id, platform: platform))
            }
        }
        return devices
    }

    /// Whether any OpenCL GPU exists (so `--device auto` should prefer OpenCL over the CPU backend).
    public static var hasGPU: Bool { fastestGPU() != nil }

    /// The GPU with the highest rough throughput, if any.
    public static func fastestGPU() -> OpenCLDevice? {
        ((try? all()) ?? []).filter { $0.kind == .gpu }.max { $0.roughGFLOPS < $1.roughGFLOPS }
    }

    /// `opencl` (the fastest GPU, else the first device) or `opencl:N` (device N of `all()`).
    public static func select(_ spec: String) throws -> OpenCLDevice {
        let devices = try all()
        guard !devices.isEmpty else { throw OpenCLError.noDevice("no OpenCL platform or device is installed") }
        let text = spec.lowercased()
        if text == "opencl" || text == "auto" {
            return devices.filter { $0.kind == .gpu }.max { $0.roughGFLOPS < $1.roughGFLOPS } ?? devices[0]
        }
        guard text.hasPrefix("opencl:"), let n = Int(text.dropFirst(7)) else {
            throw OpenCLError.noDevice("'\(spec)' is not a device selection (use opencl or opencl:N)")
        }
        guard devices.indices.contains(n) else {
            throw OpenCLError.noDevice("opencl:\(n) does not exist; \(devices.count) device(s): 0..<\(devices.count)")
        }
        return devices[n]
    }

    init(index: Int, id: cl_device_id, platform: cl_platform_id) throws {
        self.index = index
        handle = DeviceID(id, platform: platform)
        platformName = try platformString(platform, CL_PLATFORM_NAME)
        platformVersion = try platformString(platform, CL_PLATFORM_VERSION)
        name = try deviceString(id, CL_DEVICE_NAME)
        vendor = try deviceString(id, CL_DEVICE_VENDOR)
        openCLVersion = try deviceString(id, CL_DEVICE_VERSION)
        driverVersion = try deviceString(id, CL_DRIVER_VERSION)
        let type: cl_device_type = try deviceValue(id, CL_DEVICE_TYPE)
        if type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 { kind = .gpu }
        else if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { kind = .cpu }
        else if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { kind = .accelerator }
        else { kind = .other }
        computeUnits = Int(try deviceValue(id, CL_DEVICE_MAX_COMPUTE_UNITS) as cl_uint)
        clockMHz = Int(try deviceValue(id, CL_DEVICE_MAX_CLOCK_FREQUENCY) as cl_uint)
        globalMemory = Int(try deviceValue(id, CL_DEVICE_GLOBAL_MEM_SIZE) as cl_ulong)
        maxAllocation = Int(try deviceValue(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE) as cl_ulong)
        localMemory = Int(try deviceValue(id, CL_DEVICE_LOCAL_MEM_SIZE) as cl_ulong)
        maxWorkGroupSize = Int(try deviceValue(id, CL_DEVICE_MAX_WORK_GROUP_SIZE) as Int)
    }
}

func deviceString(_ id: cl_device_id, _ param: Int32) throws -> String {
    var size = 0
    try check(clGetDeviceInfo(id, cl_device_info(param), 0, nil, &size), "clGetDeviceInfo")
    var bytes = [CChar](repeating: 0, count: size + 1)
    try check(clGetDeviceInfo(id, cl_device_info(param), size, &bytes, nil), "clGetDeviceInfo")
    return trimmed(bytes)
}

func platformString(_ id: cl_platform_id, _ param: Int32) throws -> String {
    var size = 0
    try check(clGetPlatformInfo(id, cl_platform_info(param), 0, nil, &size), "clGetPlatformInfo")
    var bytes = [CChar](repeating: 0, count: size + 1)
    try check(clGetPlatformInfo(id, cl_platform_info(param), size, &bytes, nil), "clGetPlatformInfo")
    return trimmed(bytes)
}

func deviceValue<T: FixedWidthInteger>(_ id: cl_device_id, _ param: Int32) throws -> T {
    var value: T = 0
    try check(clGetDeviceInfo(id, cl_device_info(param), MemoryLayout<T>.size, &value, nil), "clGetDeviceInfo")
    return value
}

private func trimmed(_ bytes: [CChar]) -> String {
    String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .trimmingCharacters(in: .whitespaces)
}
