import Foundation
import NetIR

extension Plan {
    /// PyTorch's default initialisation, seeded: Conv/Linear weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    /// (what `kaiming_uniform_(a=sqrt(5))` reduces to), BatchNorm weight 1 and bias 0, PReLU slopes 0.25. Laid out as the
    /// parameter region (alignment padding stays 0).
    public func initialParameters(seed: UInt64) -> [Float] {
        var values = [Float](repeating: 0, count: parameterCount)
        var rng = SplitMix64(seed: seed)
        let specs = Dictionary(graph.parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for slot in parameterSlots {
            guard let spec = specs[slot.name] else { continue }
            let bound = 1 / Float(max(spec.fanIn, 1)).squareRoot()
            for k in 0..<slot.count {
                switch spec.role {
                case .weight, .bias: values[slot.offset + k] = rng.uniform(bound)
                case .scale: values[slot.offset + k] = 1
                case .shift: values[slot.offset + k] = 0
                case .slope: values[slot.offset + k] = 0.25
                }
            }
        }
        return values
    }

    /// Running mean 0 and running variance 1, as a fresh PyTorch BatchNorm.
    public func initialBuffers() -> [Float] {
        var values = [Float](repeating: 0, count: bufferCount)
        for slot in bufferSlots where slot.name.hasSuffix(".running_var") {
            for k in 0..<slot.count { values[slot.offset + k] = 1 }
        }
        return values
    }

    /// The instruction count and arena size, for logs: `plan: 42 train / 15 eval instructions, arena 3.1 MiB`.
    public var summary: String {
        let mib = Double(arenaCount * 4) / 1_048_576
        return "plan: batch \(options.batchSize), \(trainProgram.count) train / \(evalProgram.count) eval instructions, arena \(String(format: "%.2f", mib)) MiB, parameters \(parameterSlots.reduce(0) { $0 + $1.count })"
    }
}
