import COpenCL
import Foundation

/// CLBlast's SGEMM, loaded at run time (dlopen) so Perf neither links nor needs CLBlast; Debian's libclblast1
/// provides it (`scripts/bench` installs it).
struct CLBlast {
    // CLBlastStatusCode CLBlastSgemm(layout, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta,
    //                                c, cOff, ldc, cl_command_queue* queue, cl_event* event); C enums are ints.
    typealias Sgemm = @convention(c) (Int32, Int32, Int32, Int, Int, Int, Float, cl_mem?, Int, Int, cl_mem?, Int, Int,
                                      Float, cl_mem?, Int, Int, UnsafeMutablePointer<cl_command_queue?>?,
                                      UnsafeMutablePointer<cl_event?>?) -> Int32
    static let rowMajor: Int32 = 101, noTranspose: Int32 = 111

    let sgemm: Sgemm

    /// The library, or why it is not there.
    static let shared: Result<CLBlast, BenchError> = {
        guard let handle = dlopen("libclblast.so.1", RTLD_NOW) ?? dlopen("libclblast.so", RTLD_NOW) else {
            return .failure(BenchError("CLBlast not installed (libclblast.so.1; Debian package libclblast1)"))
        }
        guard let symbol = dlsym(handle, "CLBlastSgemm") else { return .failure(BenchError("libclblast has no CLBlastSgemm")) }
        return .success(CLBlast(sgemm: unsafeBitCast(symbol, to: Sgemm.self)))
    }()

    /// Enqueues C = A B (row-major, no transposes, dense leading dimensions) on `queue`; no wait.
    func multiply(m: Int, n: Int, k: Int, a: cl_mem, b: cl_mem, c: cl_mem, queue: cl_command_queue) throws {
        var q: cl_command_queue? = queue
        let status = sgemm(Self.rowMajor, Self.noTranspose, Self.noTranspose, m, n, k, 1, a, 0, k, b, 0, n, 0, c, 0, n, &q, nil)
        guard status == 0 else { throw BenchError("CLBlastSgemm returned \(status)") }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
