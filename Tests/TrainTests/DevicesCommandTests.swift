// `llmatic devices --json` says the CPU's features, the OpenBLAS core in use and who chose it, and what our own
// loops were compiled for; a user's OPENBLAS_CORETYPE reaches OpenBLAS (read in its load-time constructor).
import CPUBackend
import Foundation
import XCTest

extension CommandLineTests {
    func testDevicesReportsCPUFeaturesAndTheOpenBLASCore() throws {
        guard ProcessInfo.processInfo.environment[OpenBLASCore.variable] == nil else {
            throw XCTSkip("OPENBLAS_CORETYPE is set in the test environment")
        }
        let plain = try llmatic(["devices", "--json"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let cpu = try XCTUnwrap(try plain.json()["cpu"] as? [String: Any])
        XCTAssertEqual(cpu["features"] as? [String], CPUFeatures.host.features.sorted().map(\.rawValue))
        XCTAssertEqual(cpu["vendor"] as? String, CPUFeatures.host.vendor)
        XCTAssertEqual(cpu["own_loops_isa"] as? String, CPUFeatures.compiledISA)
        // Same library, same CPU, no variable: the child's core is this process's (on an AVX-512 CPU whose
        // core llmatic replaces, the child reports the replacement and says so).
        let forced = OpenBLASCore.coreToForce(features: .host, userSetting: nil, loadedCore: OpenBLASCore.loaded, config: OpenBLASCore.config)
        XCTAssertEqual(cpu["openblas_core"] as? String, forced ?? OpenBLASCore.loaded)
        XCTAssertEqual(cpu["openblas_core_chosen_by"] as? String, forced == nil ? "OpenBLAS" : "llmatic (AVX-512 CPU)")

        // The user's value wins (Sandybridge: AVX kernels, which every AVX2 or AVX-512 CPU runs).
        guard CPUFeatures.host.features.contains(.avx), OpenBLASCore.config.contains("DYNAMIC_ARCH") else {
            throw XCTSkip("needs a DYNAMIC_ARCH OpenBLAS on an AVX CPU")
        }
        let user = try llmatic(["devices", "--json"], environment: [OpenBLASCore.variable: "Sandybridge"])
        XCTAssertEqual(user.status, 0, user.stderr)
        let userCPU = try XCTUnwrap(try user.json()["cpu"] as? [String: Any])
        XCTAssertEqual(userCPU["openblas_core"] as? String, "Sandybridge")
        XCTAssertEqual(userCPU["openblas_core_chosen_by"] as? String, "the user (OPENBLAS_CORETYPE=Sandybridge)")
    }
}
