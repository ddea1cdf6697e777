// PoCL (the CPU OpenCL runtime Debian ships) leaves one empty file per process in its kernel cache: on x86-64,
// while initialising its devices, it creates `tempfile_XXXXXX` in the cache folder only to register it with
// LLVM's remove-on-signal list before installing its SIGFPE handler (pocl_install_sigfpe_handler); nothing
// removes it on a normal exit. Every `--device auto` launch initialises all OpenCL platforms to look for a GPU,
// so each left one more 0-byte file in ~/.cache/pocl/kcache. We remove the ones our own initialisation made.
import Foundation

enum PoCLTempFiles {
    /// PoCL's cache folder: `$POCL_CACHE_DIR`, else `$XDG_CACHE_HOME/pocl/kcache`, else `~/.cache/pocl/kcache`.
    static var cacheFolder: String {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["POCL_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/pocl/kcache" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/pocl/kcache"
    }

    /// The signal-handler placeholders in `folder`: `tempfile_` plus six characters, no suffix (PoCL's real
    /// temporary files, being written by other processes, carry one: `.cl`, `.bc`, `.so`), and empty.
    static func placeholders(in folder: String) -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Set(names.filter { name in
            guard name.hasPrefix("tempfile_"), name.count == "tempfile_".count + 6, !name.contains(".") else { return false }
            let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? -1
            return size == 0
        })
    }

    /// Runs `body` (which may initialise PoCL) and removes the placeholders that appeared meanwhile.
    static func sweeping<T>(_ body: () throws -> T) rethrows -> T {
        let folder = cacheFolder
        let before = placeholders(in: folder)
        defer {
            for name in placeholders(in: folder).subtracting(before) {
                try? FileManager.default.removeItem(atPath: folder + "/" + name)
            }
        }
        return try body()
    }
}
