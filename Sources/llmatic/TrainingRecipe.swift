// `train --recipe NAME`: a published training setup as option defaults; options given explicitly still win.

/// Training presets. Only what differs from `train`'s own defaults is set here.
enum TrainingRecipe: String, CaseIterable {
    /// NAS-Bench-201's training (Dong & Yang 2020): SGD with Nesterov momentum 0.9, lr 0.1 cosine-annealed to 0,
    /// weight decay 5e-4, batch 256, random crop (padding 4 at 32 px) and horizontal flip. The benchmark trains
    /// 200 epochs; `--epochs` stays the user's choice.
    case nb201

    var optimizer: String { "sgd" }
    var learningRate: Double { 0.1 }
    var momentum: Double { 0.9 }
    var nesterov: Bool { true }
    var weightDecay: Double { 5e-4 }
    var batchSize: Int { 256 }
    var schedule: String { "cosine" }
    var augment: Bool { true }

    static func parse(_ args: ParsedArguments) throws(UsageError) -> TrainingRecipe? {
        guard let name = args.string("recipe") else { return nil }
        guard let recipe = TrainingRecipe(rawValue: name) else {
            throw UsageError("invalid value '\(name)' for --recipe: expected \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return recipe
    }
}
