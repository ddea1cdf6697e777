/// The tunables of Kernels/gemm.cl. Each becomes a `-D` define; the kernel's own defaults apply otherwise.
public struct GemmParameters: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Work-group tile of C (rows, columns) and the K depth of one step.
    public var mwg, nwg, kwg: Int
    /// Work-items along M and N (the work-group is mdimc x ndimc).
    public var mdimc, ndimc: Int
    /// Vector widths of a work-item's row and column chunks.
    public var vwm, vwn: Int
    /// Stage tiles in local memory (GPUs) or read global memory directly (CPUs).
    public var localStaging: Bool

    public init(mwg: Int, nwg: Int, kwg: Int, mdimc: Int, ndimc: Int, vwm: Int, vwn: Int, localStaging: Bool) {
        self.mwg = mwg; self.nwg = nwg; self.kwg = kwg; self.mdimc = mdimc; self.ndimc = ndimc
        self.vwm = vwm; self.vwn = vwn; self.localStaging = localStaging
    }

    public var description: String {
        "MWG=\(mwg) NWG=\(nwg) KWG=\(kwg) MDIMC=\(mdimc) NDIMC=\(ndimc) VWM=\(vwm) VWN=\(vwn) LOCAL=\(localStaging ? 1 : 0)"
    }

    var threads: Int { mdimc * ndimc }

    var defines: [(String, String)] {
        [("MWG", mwg), ("NWG", nwg), ("KWG", kwg), ("MDIMC", mdimc), ("NDIMC", ndimc), ("VWM", vwm), ("VWN", vwn),
         ("LOCAL_STAGING", localStaging ? 1 : 0)].map { ($0.0, String($0.1)) }
    }

    /// Local memory the kernel declares: both tiles plus one float of row padding each, or on the CPU path
    /// (direct reads, VWN > 1) the KWG x NWG block of B.
    var localBytes: Int { localStaging ? 4 * kwg * (mwg + 1 + nwg + 1) : vwn > 1 ? 4 * kwg * nwg : 0 }

    /// The kernel's static constraints (mirrors the `#error` in gemm.cl) and the device's limits.
    func fits(_ device: OpenCLDevice) -> Bool {
        guard mwg % mdimc == 0, nwg % ndimc == 0 else { return false }
        let mwi = mwg / mdimc, nwi = nwg / ndimc
        guard [1, 2, 4, 8].contains(vwm), [1, 2, 4, 8].contains(vwn), mwi % vwm == 0, nwi % vwn == 0 else { return false }
        guard (mwg * kwg) % threads == 0, (nwg * kwg) % threads == 0 else { return false }
        return threads <= device.maxWorkGroupSize && localBytes <= device.localMemory && mwi * nwi <= 128
    }

    /// Small and safe everywhere: the tuner's reference and the last fallback.
    public static let conservative = GemmParameters(mwg: 16, nwg: 16, kwg: 8, mdimc: 8, ndimc: 8, vwm: 1, vwn: 1, localStaging: true)

    /// Defaults as data, most specific first: (device-name fragment or vendor fragment or kind, parameters).
    /// The first entry whose key matches the device and whose parameters fit is used.
    static let defaults: [(match: String, parameters: GemmParameters)] = [
        // CPUs (PoCL, Intel CPU runtime): the CPU path of gemm.cl. Each work-item keeps a 6 x 16 block in twelve
        // float8 registers (of AVX2's sixteen); the group's 64 x 32 block of B sits in local memory (8 KiB, L1).
        // PoCL 3.1, 2 EPYC cores, 512^3: ~37-70 GFLOP/s (shared host) vs 13-30 for the previous 4 x 16 direct-read
        // kernel; see Perf/README.md (opencl-gemm).
        ("kind:cpu", GemmParameters(mwg: 48, nwg: 32, kwg: 64, mdimc: 8, ndimc: 2, vwm: 1, vwn: 8, localStaging: false)),
        ("vendor:nvidia", GemmParameters(mwg: 64, nwg: 64, kwg: 16, mdimc: 16, ndimc: 16, vwm: 4, vwn: 4, localStaging: true)),
        ("vendor:advanced micro devices", GemmParameters(mwg: 64, nwg: 64, kwg: 16, mdimc: 16, ndimc: 16, vwm: 4, vwn: 4, localStaging: true)),
        ("vendor:amd", GemmParameters(mwg: 64, nwg: 64, kwg: 16, mdimc: 16, ndimc: 16, vwm: 4, vwn: 4, localStaging: true)),
        ("vendor:intel", GemmParameters(mwg: 32, nwg: 64, kwg: 16, mdimc: 8, ndimc: 16, vwm: 4, vwn: 4, localStaging: true)),
        ("kind:gpu", GemmParameters(mwg: 64, nwg: 64, kwg: 16, mdimc: 16, ndimc: 16, vwm: 2, vwn: 2, localStaging: true)),
        ("any", GemmParameters(mwg: 32, nwg: 32, kwg: 16, mdimc: 8, ndimc: 8, vwm: 2, vwn: 2, localStaging: true)),
    ]

    /// Staged GPU tiles for GEMMs with few rows (M = output channels of 16 or 32, common in small CNNs), where
    /// a 64-row tile computes mostly padding: 16 rows for M <= 16, 32 rows for M <= 32; each work-item keeps
    /// the 4 x 4 block of the 64 x 64 defaults. Measured on an H200 (Perf/README.md): for resnet8's
    /// 16 x 100352 x 144 forward GEMM the tuner's own pick was the 16-row tile, 1.19x the 64 x 64 default.
    static let gpuFewRows: [(rows: Int, parameters: GemmParameters)] = [
        (16, GemmParameters(mwg: 16, nwg: 64, kwg: 16, mdimc: 4, ndimc: 16, vwm: 2, vwn: 2, localStaging: true)),
        (32, GemmParameters(mwg: 32, nwg: 64, kwg: 16, mdimc: 8, ndimc: 16, vwm: 2, vwn: 2, localStaging: true)),
    ]

    /// The default for `shape` on `device`. On GPUs the device default gives way to a fewer-rows tile when M
    /// is small (tuning a shape on a GPU can take minutes of kernel builds, so most shapes run the default);
    /// CPUs keep one default (a work-group is one thread there, and padding rows cost little).
    static func defaultFor(_ device: OpenCLDevice, shape: GemmShape) -> GemmParameters {
        let base = defaultFor(device)
        return fitted(base, kind: device.kind, m: shape.m) { $0.fits(device) }
    }

    /// `base`, or on a GPU the first fewer-rows tile that covers `m` and `fits` (tests pass their own check).
    static func fitted(_ base: GemmParameters, kind: OpenCLDevice.Kind, m: Int, fits: (GemmParameters) -> Bool) -> GemmParameters {
        guard kind == .gpu, base.localStaging else { return base }
        return gpuFewRows.first { m <= $0.rows && $0.parameters.mwg < base.mwg && fits($0.parameters) }?.parameters ?? base
    }

    /// The device default for any shape: the first matching, fitting entry of `defaults`.
    static func defaultFor(_ device: OpenCLDevice) -> GemmParameters {
        let vendor = device.vendor.lowercased(), name = device.name.lowercased()
        for (match, p) in defaults where p.fits(device) {
            let hit: Bool
            if match == "any" { hit = true }
            else if match.hasPrefix("kind:") { hit = device.kind.rawValue == match.dropFirst(5) }
            else if match.hasPrefix("vendor:") { hit = vendor.contains(match.dropFirst(7)) }
            else { hit = name.contains(match) }
            if hit { return p }
        }
        return conservative
    }

    /// The tuner's search space: a hand-picked grid (tile shapes x staging x vector widths) filtered by what
    /// fits the device, the shape's default first so a short budget still tries it. CPUs get the CPU path's
    /// grid (register blocks of a work-item x work-group shapes x K blocks), GPUs the staged grid.
    static func candidates(for device: OpenCLDevice, shape: GemmShape) -> [GemmParameters] {
        var list: [GemmParameters] = [defaultFor(device, shape: shape)]
        func add(_ p: GemmParameters) { if p.fits(device) && !list.contains(p) { list.append(p) } }
        if device.kind == .cpu {
            // (rows, columns) per work-item: 12 or fewer float8 accumulators, so they stay in registers.
            for (mwi, nwi) in [(6, 16), (4, 24), (4, 16), (8, 8), (3, 32), (6, 8)] {
                for (mdimc, ndimc) in [(8, 2), (8, 1), (4, 4), (4, 2), (16, 1), (2, 8)] {
                    for kwg in [64, 32, 128] {
                        add(GemmParameters(mwg: mwi * mdimc, nwg: nwi * ndimc, kwg: kwg, mdimc: mdimc, ndimc: ndimc,
                                           vwm: 1, vwn: 8, localStaging: false))
                    }
                }
            }
            return list
        }
        let tiles: [(Int, Int, Int, Int)] = [(16, 16, 4, 4), (32, 32, 8, 8), (32, 64, 8, 8), (64, 32, 8, 8),
                                              (64, 64, 8, 8), (64, 64, 16, 16), (128, 64, 16, 16), (64, 128, 16, 16),
                                              (128, 128, 16, 16), (32, 32, 16, 16), (16, 64, 4, 16)]
        for (mwg, nwg, mdimc, ndimc) in tiles {
            for kwg in [8, 16, 32] {
                for staging in [true, false] {
                    for vw in [1, 2, 4] {
                        if !staging && vw > 1 && vw < 4 { continue }   // direct reads: scalar or float4 columns
                        add(GemmParameters(mwg: mwg, nwg: nwg, kwg: kwg, mdimc: mdimc, ndimc: ndimc,
                                           vwm: vw, vwn: vw, localStaging: staging))
                    }
                }
            }
        }
        // Staged candidates first, those with KWG 16 ahead.
        let head = list.prefix(1)
        let rest = list.dropFirst().sorted { ($0.localStaging ? 0 : 1, $0.kwg == 16 ? 0 : 1) < ($1.localStaging ? 0 : 1, $1.kwg == 16 ? 0 : 1) }
        return Array(head) + rest
    }
}
