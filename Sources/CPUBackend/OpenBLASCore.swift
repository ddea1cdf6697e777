// Which OpenBLAS kernels this process multiplies with, and the choice of them for the CPU we run on.
//
// A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernel set ("core") in its load-time constructor, reading
// OPENBLAS_CORETYPE there and only there; 0.3.21 gives a CPU whose cpuid family it does not know as AVX-512
// (e.g. a VM's "AMD EPYC" model with AVX-512) its Zen/Haswell AVX2 kernels, and SkylakeX's are ~30% faster.
// Setting the variable in main() is too late, and an ELF .preinit_array function is too early (glibc has not
// set `environ` yet and resets it afterwards: measured). So our executables call `selectForThisCPU()` first
// thing: when the pure decision `coreToForce` says so, it sets the variable and re-executes /proc/self/exe with
// the same arguments. exec keeps the process id, environment and open files, so mpirun, pipes and a parent's
// waitpid see the same process; children inherit the variable. A user's own OPENBLAS_CORETYPE always wins.
import CBLAS
import Foundation

public enum OpenBLASCore {
    /// The variable OpenBLAS reads, and ours that says the value came from llmatic (for reports).
    public static let variable = "OPENBLAS_CORETYPE"
    public static let markerVariable = "LLMATIC_SET_OPENBLAS_CORETYPE"

    /// The core we force on AVX-512 CPUs. 0.3.21 accepts names 1-24 of its list (Katmai ... SkylakeX, case-
    /// insensitive; "Cooperlake" is *not* accepted there); SkylakeX and Cooperlake share the sgemm kernels.
    public static let avx512Core = "SkylakeX"

    /// OpenBLAS core names (0.3.21's list) whose kernels use at most AVX2: cores we replace on an AVX-512 CPU.
    /// A core not listed here (SkylakeX, Cooperlake, a newer library's SapphireRapids...) is kept.
    static let preAVX512Cores: Set<String> = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington", "nehalem",
        "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "sandybridge", "bobcat", "bulldozer", "piledriver",
        "haswell", "steamroller", "excavator", "zen",
    ]

    /// The core to force with OPENBLAS_CORETYPE, or nil to leave OpenBLAS's own choice. A pure function of the
    /// CPU's features, the user's setting, and the loaded library's core and build configuration.
    public static func coreToForce(features: CPUFeatures, userSetting: String?, loadedCore: String, config: String) -> String? {
        if let user = userSetting, !user.isEmpty { return nil }          // the user's choice wins
        guard config.contains("DYNAMIC_ARCH") else { return nil }        // one compiled core: the variable is ignored
        guard features.hasAVX512SkylakeXSet else { return nil }          // SkylakeX kernels would fault
        guard preAVX512Cores.contains(loadedCore.lowercased()) else { return nil } // already AVX-512 (or unknown)
        return avx512Core
    }

    /// The core OpenBLAS is using (`openblas_get_corename`).
    public static var loaded: String { String(cString: openblas_get_corename()) }
    /// OpenBLAS's build line (`openblas_get_config`), e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Zen".
    public static var config: String { String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces) }

    /// Who chose the loaded core: "llmatic (AVX-512 CPU)", "the user (OPENBLAS_CORETYPE)" or "OpenBLAS".
    public static var chooser: String {
        let environment = ProcessInfo.processInfo.environment
        guard let value = environment[variable], !value.isEmpty else { return "OpenBLAS" }
        return environment[markerVariable] == value ? "llmatic (AVX-512 CPU)" : "the user (\(variable)=\(value))"
    }

    /// One line for reports: "Zen, chosen by OpenBLAS (OpenBLAS 0.3.21 ... DYNAMIC_ARCH ...)".
    public static var description: String { "\(loaded), chosen by \(chooser)" }

    /// Call first thing in main(): re-executes this program with OPENBLAS_CORETYPE set when `coreToForce` asks
    /// for it; returns otherwise (also when exec fails, with the variable removed again).
    public static func selectForThisCPU() {
        #if os(Linux)
        let user = getenv(variable).map { String(cString: $0) }
        guard let core = coreToForce(features: .host, userSetting: user, loadedCore: loaded, config: config) else { return }
        setenv(variable, core, 1)
        setenv(markerVariable, core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv(variable)
        unsetenv(markerVariable)
        #endif
    }
}
