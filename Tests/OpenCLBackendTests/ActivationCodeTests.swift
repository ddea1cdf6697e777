import Foundation
import XCTest
import NetIR

/// Kernels/common.cl numbers the activations by hand (ACT_*); they must be 1 + the registry position
/// (NetIR/Activation.swift), which is what the host passes.
final class ActivationCodeTests: XCTestCase {
    func testKernelCodesFollowTheRegistry() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Kernels/common.cl"), encoding: .utf8)
        var codes: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("#define ACT_") {
            let parts = line.split(separator: " ")
            guard parts.count >= 3, let value = Int(parts[2]) else { continue }
            codes[String(parts[1].dropFirst(4))] = value
        }
        XCTAssertEqual(codes["NONE"], 0)
        XCTAssertEqual(codes.count, Activation.kinds.count + 1, "one ACT_ code per registry row")
        for act in Activation.examples {
            // ACT_ names: the functional name upper-cased, GELU's tanh form as GELU_TANH.
            let name = act == .geluTanh ? "GELU_TANH" : act.kind.functionalName.uppercased()
            XCTAssertEqual(codes[name], act.ordinal + 1, "ACT_\(name) for \(act)")
        }
        XCTAssertEqual(Set(Activation.examples.map(\.ordinal)), Set(Activation.kinds.indices), "an example for every kind")
    }
}
