// The one place that says what this CPU can run: cpuid decoded into vendor, family/model and the vector
// extensions the OS lets us use (an AVX or AVX-512 bit counts only when XCR0 says the OS saves those registers).
import CCPUID

public struct CPUFeatures: Sendable, Equatable {
    /// The extensions the trainer's kernel choices care about; raw values are the names reports print.
    public enum Feature: String, CaseIterable, Sendable, Comparable {
        case sse42 = "sse4.2", avx, avx2, fma, avx512f, avx512cd, avx512dq, avx512bw, avx512vl
        case avx512vnni = "avx512-vnni", avx512bf16 = "avx512-bf16"

        /// The flag's name in Linux's /proc/cpuinfo.
        public var linuxName: String {
            switch self {
            case .sse42: "sse4_2"
            case .avx512vnni: "avx512_vnni"
            case .avx512bf16: "avx512_bf16"
            default: rawValue
            }
        }

        public static func < (a: Feature, b: Feature) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// cpuid leaf 0's vendor string ("AuthenticAMD", "GenuineIntel"; "" off x86).
    public var vendor: String
    /// Display family and model (base plus extended fields, as the vendors' manuals combine them).
    public var family: Int
    public var model: Int
    public var features: Set<Feature>

    public init(vendor: String, family: Int, model: Int, features: Set<Feature>) {
        self.vendor = vendor; self.family = family; self.model = model; self.features = features
    }

    /// Decodes raw cpuid registers (eax, ebx, ecx, edx) of leaves 0, 1, 7.0 and 7.1 and XCR0.
    public init(leaf0: [UInt32], leaf1: [UInt32], leaf7: [UInt32], leaf7sub1: [UInt32], xcr0: UInt64) {
        var bytes: [UInt8] = []
        for register in [leaf0[1], leaf0[3], leaf0[2]] { // ebx, edx, ecx spell the vendor
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((register >> UInt32(shift)) & 0xff)) }
        }
        vendor = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        let eax = Int(leaf1[0])
        let baseFamily = (eax >> 8) & 0xf, baseModel = (eax >> 4) & 0xf
        family = baseFamily == 0xf ? baseFamily + ((eax >> 20) & 0xff) : baseFamily
        model = baseFamily == 0x6 || baseFamily == 0xf ? baseModel + (((eax >> 16) & 0xf) << 4) : baseModel
        func bit(_ register: UInt32, _ n: Int) -> Bool { register & (1 << UInt32(n)) != 0 }
        let osAVX = bit(leaf1[2], 27) && xcr0 & 0x6 == 0x6         // XMM and YMM state saved
        let osAVX512 = osAVX && xcr0 & 0xe0 == 0xe0                 // opmask, ZMM_Hi256, Hi16_ZMM saved
        var f = Set<Feature>()
        if bit(leaf1[2], 20) { f.insert(.sse42) }
        if osAVX {
            if bit(leaf1[2], 28) { f.insert(.avx) }
            if bit(leaf1[2], 12) { f.insert(.fma) }
            if bit(leaf7[1], 5) { f.insert(.avx2) }
        }
        if osAVX512 {
            let ebx: [(Int, Feature)] = [(16, .avx512f), (17, .avx512dq), (28, .avx512cd), (30, .avx512bw), (31, .avx512vl)]
            for (n, feature) in ebx where bit(leaf7[1], n) { f.insert(feature) }
            if bit(leaf7[2], 11) { f.insert(.avx512vnni) }
            if bit(leaf7sub1[0], 5) { f.insert(.avx512bf16) }
        }
        features = f
    }

    /// This machine, read once.
    public static let host: CPUFeatures = detect()

    static func detect() -> CPUFeatures {
        guard ccpuid_available() != 0 else { return CPUFeatures(vendor: "", family: 0, model: 0, features: []) }
        func leaf(_ l: UInt32, _ sub: UInt32 = 0) -> [UInt32] {
            var r: [UInt32] = [0, 0, 0, 0]
            r.withUnsafeMutableBufferPointer { ccpuid_query(l, sub, $0.baseAddress) }
            return r
        }
        return CPUFeatures(leaf0: leaf(0), leaf1: leaf(1), leaf7: leaf(7), leaf7sub1: leaf(7, 1), xcr0: UInt64(ccpuid_xcr0()))
    }

    /// What OpenBLAS's SkylakeX kernels need (they are built with -march=skylake-avx512: F, CD, DQ, BW, VL).
    public var hasAVX512SkylakeXSet: Bool {
        features.isSuperset(of: [.avx512f, .avx512cd, .avx512dq, .avx512bw, .avx512vl])
    }

    /// The widest vector level present, for one-word reports.
    public var level: String {
        if hasAVX512SkylakeXSet { return "AVX-512" }
        if features.contains(.avx2) && features.contains(.fma) { return "AVX2+FMA" }
        if features.contains(.avx) { return "AVX" }
        return features.contains(.sse42) ? "SSE4.2" : "baseline"
    }

    /// "AuthenticAMD family 25 model 1: sse4.2 avx avx2 fma".
    public var summary: String {
        "\(vendor.isEmpty ? "non-x86" : vendor) family \(family) model \(model): "
            + (features.isEmpty ? "no vector extensions" : features.sorted().map(\.rawValue).joined(separator: " "))
    }

    /// The instruction set our own loops were compiled for: the package's LLMATIC_TARGET_CPU, which it passes to
    /// swiftc (`-target-cpu`) and to the C shim alike; without it a portable x86-64 build (SSE2).
    public static var compiledISA: String {
        let cpu = String(cString: ccpuid_target_cpu())
        let isa = String(cString: ccpuid_compiled_isa())
        return cpu.isEmpty ? "\(isa), portable build" : "\(isa) (-target-cpu \(cpu))"
    }
}
