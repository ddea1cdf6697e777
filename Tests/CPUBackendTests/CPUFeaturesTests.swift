// CPU feature decoding (against fabricated cpuid registers and against Linux's /proc/cpuinfo on this machine)
// and the OpenBLAS core decision (a pure function: tested with fabricated feature sets, since the AVX-512
// branch cannot run on an AVX2 machine).
@testable import CPUBackend
import Engine
import NetIR
import Foundation
import XCTest

final class CPUFeaturesTests: XCTestCase {
    /// "AuthenticAMD" as cpuid leaf 0 returns it (ebx, edx, ecx), with max leaf 0x10 in eax.
    static let amdLeaf0: [UInt32] = [0x10, 0x6874_7541, 0x444d_4163, 0x6974_6e65]
    static let intelLeaf0: [UInt32] = [0x16, 0x756e_6547, 0x6c65_746e, 0x4965_6e69]

    /// Leaf 1 eax for base family F + extended family `ext`, model `m` + extended model `em`; ecx with
    /// SSE4.2 (20), FMA (12), OSXSAVE (27), AVX (28).
    static func leaf1(baseFamily: UInt32, extFamily: UInt32, model: UInt32, extModel: UInt32) -> [UInt32] {
        let eax = (extFamily << 20) | (extModel << 16) | (baseFamily << 8) | (model << 4) | 1
        return [eax, 0, (1 << 20) | (1 << 12) | (1 << 27) | (1 << 28), 0]
    }

    /// Leaf 7.0 ebx: AVX2 (5), AVX512F (16), DQ (17), CD (28), BW (30), VL (31); ecx: VNNI (11).
    static let zen4Leaf7: [UInt32] = [0, (1 << 5) | (1 << 16) | (1 << 17) | (1 << 28) | (1 << 30) | (1 << 31), 1 << 11, 0]
    static let bf16Leaf7sub1: [UInt32] = [1 << 5, 0, 0, 0]

    func testDecodesAZen4LikeCPU() {
        let f = CPUFeatures(leaf0: Self.amdLeaf0, leaf1: Self.leaf1(baseFamily: 0xf, extFamily: 0xa, model: 1, extModel: 1),
                            leaf7: Self.zen4Leaf7, leaf7sub1: Self.bf16Leaf7sub1, xcr0: 0xe7)
        XCTAssertEqual(f.vendor, "AuthenticAMD")
        XCTAssertEqual(f.family, 0x19)
        XCTAssertEqual(f.model, 0x11)
        XCTAssertEqual(f.features, Set(CPUFeatures.Feature.allCases))
        XCTAssertTrue(f.hasAVX512SkylakeXSet)
        XCTAssertEqual(f.level, "AVX-512")
    }

    func testAVXBitsCountOnlyWhenTheOSSavesTheRegisters() {
        let leaf1 = Self.leaf1(baseFamily: 0xf, extFamily: 0xa, model: 1, extModel: 1)
        // XMM+YMM saved, ZMM not: AVX2 usable, AVX-512 not.
        let noZMM = CPUFeatures(leaf0: Self.amdLeaf0, leaf1: leaf1, leaf7: Self.zen4Leaf7, leaf7sub1: Self.bf16Leaf7sub1, xcr0: 0x7)
        XCTAssertEqual(noZMM.features, [.sse42, .avx, .fma, .avx2])
        XCTAssertFalse(noZMM.hasAVX512SkylakeXSet)
        // No XSAVE state at all: only SSE4.2.
        let noYMM = CPUFeatures(leaf0: Self.amdLeaf0, leaf1: leaf1, leaf7: Self.zen4Leaf7, leaf7sub1: Self.bf16Leaf7sub1, xcr0: 0x1)
        XCTAssertEqual(noYMM.features, [.sse42])
    }

    func testIntelFamily6CombinesTheExtendedModel() {
        // Skylake-SP: family 6, model 0x55.
        let f = CPUFeatures(leaf0: Self.intelLeaf0, leaf1: Self.leaf1(baseFamily: 6, extFamily: 0, model: 5, extModel: 5),
                            leaf7: Self.zen4Leaf7, leaf7sub1: [0, 0, 0, 0], xcr0: 0xe7)
        XCTAssertEqual(f.vendor, "GenuineIntel")
        XCTAssertEqual(f.family, 6)
        XCTAssertEqual(f.model, 0x55)
        XCTAssertFalse(f.features.contains(.avx512bf16))
    }

    /// Our cpuid decoding of this machine against the kernel's own flag list.
    func testHostFeaturesMatchProcCpuinfo() throws {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags line (not Linux on x86)")
        }
        let flags = Set(line.split(separator: ":", maxSplits: 1).last!.split(separator: " ").map(String.init))
        let host = CPUFeatures.host
        for feature in CPUFeatures.Feature.allCases {
            XCTAssertEqual(host.features.contains(feature), flags.contains(feature.linuxName), "\(feature.rawValue) vs /proc/cpuinfo \(feature.linuxName)")
        }
        let vendor = text.split(separator: "\n").first { $0.hasPrefix("vendor_id") }?.split(separator: ":").last?
            .trimmingCharacters(in: .whitespaces)
        XCTAssertEqual(host.vendor, vendor)
        let family = text.split(separator: "\n").first { $0.hasPrefix("cpu family") }?.split(separator: ":").last
            .flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        XCTAssertEqual(host.family, family)
    }

    // MARK: the OpenBLAS core decision

    static let zen4 = CPUFeatures(vendor: "AuthenticAMD", family: 0x19, model: 0x11, features: Set(CPUFeatures.Feature.allCases))
    static let avx2Zen3 = CPUFeatures(vendor: "AuthenticAMD", family: 0x19, model: 1, features: [.sse42, .avx, .avx2, .fma])
    static let dynamic = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"

    /// First layers take the direct AVX2 kernels exactly where the CPU has AVX2 and FMA (and the switch is not off),
    /// smallcnn's conv1 qualifies and a strided or wide-patch convolution does not.
    func testDirectConvolutionDispatchFollowsTheCPU() throws {
        let switchedOff = ProcessInfo.processInfo.environment["LLMATIC_DIRECT_CONV"] == "0"
        let expected = CPUFeatures.host.features.isSuperset(of: [.avx2, .fma]) && !switchedOff
        #if arch(x86_64)
        XCTAssertEqual(DirectConvolution.available, expected)
        #endif
        XCTAssertEqual(CPUBackend.vectorKernels.contains("first-layer convolutions"), DirectConvolution.available)
        func geometry(channels: Int, stride: Int) -> ConvGeometry {
            let a = Conv2dAttributes(inChannels: channels, outChannels: 32, kernel: Pair(3), stride: Pair(stride),
                                     padding: Pair(1), dilation: Pair(1), groups: 1, bias: true)
            let out = (28 + 2 - 3) / stride + 1
            return ConvGeometry(batch: 128, input: TensorShape(channels: channels, height: 28, width: 28),
                                output: TensorShape(channels: 32, height: out, width: out), attributes: a)
        }
        XCTAssertTrue(DirectConvolution.qualifies(geometry(channels: 1, stride: 1)))
        XCTAssertTrue(DirectConvolution.qualifies(geometry(channels: 3, stride: 1)))
        XCTAssertFalse(DirectConvolution.qualifies(geometry(channels: 4, stride: 1)), "patch 36 goes to the GEMM")
        XCTAssertFalse(DirectConvolution.qualifies(geometry(channels: 1, stride: 2)))
    }

    func testAnAVX512CPUOnAVX2KernelsGetsSkylakeX() {
        XCTAssertEqual(OpenBLASCore.coreToForce(features: Self.zen4, userSetting: nil, loadedCore: "Zen", config: Self.dynamic), "SkylakeX")
        XCTAssertEqual(OpenBLASCore.coreToForce(features: Self.zen4, userSetting: "", loadedCore: "Haswell", config: Self.dynamic), "SkylakeX")
    }

    func testTheDecisionLeavesEverythingElseAlone() {
        // The user's value wins.
        XCTAssertNil(OpenBLASCore.coreToForce(features: Self.zen4, userSetting: "Haswell", loadedCore: "Haswell", config: Self.dynamic))
        // No AVX-512, or not the whole SkylakeX set (F without VL/BW): the kernels would fault.
        XCTAssertNil(OpenBLASCore.coreToForce(features: Self.avx2Zen3, userSetting: nil, loadedCore: "Zen", config: Self.dynamic))
        var fOnly = Self.avx2Zen3
        fOnly.features.insert(.avx512f)
        XCTAssertNil(OpenBLASCore.coreToForce(features: fOnly, userSetting: nil, loadedCore: "Zen", config: Self.dynamic))
        // OpenBLAS already uses AVX-512 kernels, or a core we do not know.
        for core in ["SkylakeX", "Cooperlake", "SapphireRapids"] {
            XCTAssertNil(OpenBLASCore.coreToForce(features: Self.zen4, userSetting: nil, loadedCore: core, config: Self.dynamic), core)
        }
        // A library built for one core ignores the variable: re-executing would only cost time.
        XCTAssertNil(OpenBLASCore.coreToForce(features: Self.zen4, userSetting: nil, loadedCore: "Haswell",
                                              config: "OpenBLAS 0.3.21 NO_AFFINITY HASWELL MAX_THREADS=64"))
    }

    /// On this machine: the reported core is OpenBLAS's own answer, its build line names the same core, and on a
    /// CPU without AVX-512 the decision keeps it (the re-exec never happens here).
    func testReportedCoreIsTheLibrarysOnThisMachine() throws {
        let loaded = OpenBLASCore.loaded
        XCTAssertFalse(loaded.isEmpty)
        let config = OpenBLASCore.config
        XCTAssertTrue(config.split(separator: " ").contains { $0.lowercased() == loaded.lowercased() }, "\(config) does not name \(loaded)")
        guard ProcessInfo.processInfo.environment[OpenBLASCore.variable] == nil else {
            throw XCTSkip("OPENBLAS_CORETYPE is set in the test environment")
        }
        XCTAssertEqual(OpenBLASCore.chooser, "OpenBLAS")
        if !CPUFeatures.host.hasAVX512SkylakeXSet {
            XCTAssertTrue(OpenBLASCore.preAVX512Cores.contains(loaded.lowercased()), "AVX2 machine, core \(loaded)")
            XCTAssertNil(OpenBLASCore.coreToForce(features: .host, userSetting: nil, loadedCore: loaded, config: config))
        }
    }
}
