import COpenCL
import Engine

/// Everything that can go wrong on the OpenCL path, typed so callers can react (fall back to the CPU on
/// `.noDevice`, shrink the batch on `.outOfMemory`) and print something a person can act on.
public enum OpenCLError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No OpenCL platform/device is installed, or the selection names one that does not exist.
    case noDevice(String)
    /// The device ran out of memory (CL_OUT_OF_RESOURCES, CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_HOST_MEMORY)
    /// or a request exceeds CL_DEVICE_MAX_MEM_ALLOC_SIZE / global memory.
    case outOfMemory(call: String, detail: String)
    /// A program did not compile: the file, the defines and the device's full build log.
    case buildFailed(program: String, options: String, log: String)
    /// Any other failing call: its name and the CL error name (`CL_INVALID_KERNEL_ARGS`).
    case call(String, code: Int32, name: String)
    /// An op or shape this backend cannot run (with the reason).
    case unsupported(String)
    /// Kernel source missing (LLMATIC_KERNELS points at a directory without the file).
    case missingSource(String)

    public var description: String {
        switch self {
        case .noDevice(let m): return "OpenCL: no device: \(m)"
        case .outOfMemory(let call, let detail): return "OpenCL: out of device memory in \(call): \(detail)"
        case .buildFailed(let program, let options, let log):
            return "OpenCL: building \(program) failed (options: \(options))\n\(log)"
        case .call(let call, let code, let name): return "OpenCL: \(call) failed: \(name) (\(code))"
        case .unsupported(let m): return "OpenCL: unsupported: \(m)"
        case .missingSource(let m): return "OpenCL: kernel source not found: \(m)"
        }
    }

    /// Maps a failing status to the typed error; memory exhaustion gets its own case.
    static func from(_ code: cl_int, call: String) -> OpenCLError {
        switch code {
        case CL_OUT_OF_RESOURCES, CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_HOST_MEMORY:
            return .outOfMemory(call: call, detail: errorName(code))
        default:
            return .call(call, code: code, name: errorName(code))
        }
    }
}

/// Throws the typed error when an OpenCL call did not return CL_SUCCESS.
@inline(__always)
func check(_ code: cl_int, _ call: @autoclosure () -> String) throws {
    if code != CL_SUCCESS { throw OpenCLError.from(code, call: call()) }
}

/// The symbolic name of an OpenCL status code (OpenCL 1.2 core set).
func errorName(_ code: cl_int) -> String {
    let names: [cl_int: String] = [
        0: "CL_SUCCESS", -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE", -3: "CL_COMPILER_NOT_AVAILABLE",
        -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5: "CL_OUT_OF_RESOURCES", -6: "CL_OUT_OF_HOST_MEMORY",
        -7: "CL_PROFILING_INFO_NOT_AVAILABLE", -8: "CL_MEM_COPY_OVERLAP", -9: "CL_IMAGE_FORMAT_MISMATCH",
        -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED", -11: "CL_BUILD_PROGRAM_FAILURE", -12: "CL_MAP_FAILURE",
        -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET", -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
        -15: "CL_COMPILE_PROGRAM_FAILURE", -16: "CL_LINKER_NOT_AVAILABLE", -17: "CL_LINK_PROGRAM_FAILURE",
        -18: "CL_DEVICE_PARTITION_FAILED", -19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
        -30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE", -32: "CL_INVALID_PLATFORM", -33: "CL_INVALID_DEVICE",
        -34: "CL_INVALID_CONTEXT", -35: "CL_INVALID_QUEUE_PROPERTIES", -36: "CL_INVALID_COMMAND_QUEUE",
        -37: "CL_INVALID_HOST_PTR", -38: "CL_INVALID_MEM_OBJECT", -39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR",
        -40: "CL_INVALID_IMAGE_SIZE", -41: "CL_INVALID_SAMPLER", -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS",
        -44: "CL_INVALID_PROGRAM", -45: "CL_INVALID_PROGRAM_EXECUTABLE", -46: "CL_INVALID_KERNEL_NAME",
        -47: "CL_INVALID_KERNEL_DEFINITION", -48: "CL_INVALID_KERNEL", -49: "CL_INVALID_ARG_INDEX",
        -50: "CL_INVALID_ARG_VALUE", -51: "CL_INVALID_ARG_SIZE", -52: "CL_INVALID_KERNEL_ARGS",
        -53: "CL_INVALID_WORK_DIMENSION", -54: "CL_INVALID_WORK_GROUP_SIZE", -55: "CL_INVALID_WORK_ITEM_SIZE",
        -56: "CL_INVALID_GLOBAL_OFFSET", -57: "CL_INVALID_EVENT_WAIT_LIST", -58: "CL_INVALID_EVENT",
        -59: "CL_INVALID_OPERATION", -60: "CL_INVALID_GL_OBJECT", -61: "CL_INVALID_BUFFER_SIZE",
        -62: "CL_INVALID_MIP_LEVEL", -63: "CL_INVALID_GLOBAL_WORK_SIZE", -64: "CL_INVALID_PROPERTY",
        -65: "CL_INVALID_IMAGE_DESCRIPTOR", -66: "CL_INVALID_COMPILER_OPTIONS", -67: "CL_INVALID_LINKER_OPTIONS",
        -68: "CL_INVALID_DEVICE_PARTITION_COUNT", -1001: "CL_PLATFORM_NOT_FOUND_KHR",
    ]
    return names[code] ?? "CL_ERROR_\(code)"
}

extension OpenCLError: BackendFailureConvertible {
    public var backendFailure: BackendFailure {
        switch self {
        case .noDevice: return .noDevice(description)
        case .outOfMemory: return .outOfMemory(device: "opencl", detail: description)
        case .unsupported: return .unsupported(device: "opencl", detail: description)
        case .buildFailed, .call, .missingSource: return .failed(device: "opencl", detail: description)
        }
    }
}
