import NetCode
import NetIR

/// The repairs a model's child gets without the model, where the intent is unambiguous: input sizes set from the
/// tensor that reaches the module (`InputSizeRepair`), modules used in `forward` but never defined
/// (`MissingModuleRepair`), a flatten before a Linear that an image reaches (`FlattenRepair`), and a last Linear that does not output the class count (`OutputRepair`). One place
/// for the search (`checkRepairing` in ChildVetting.swift) and the yield harness (`ReplyYield`).
public enum ModelFreeRepair {
    /// The repaired source, its checked network and one line per change; nil when the failure is not one of
    /// these or the repaired network still fails a check.
    public static func repair(_ source: String, file: String, input: TensorShape,
                              checker: CandidateChecker) -> (source: String, candidate: CheckedCandidate, repairs: [String])? {
        guard let parsed = try? NetworkSource.parse(source, file: file, input: input, repairInputSizes: true) else { return nil }
        var graph = parsed.graph
        var repairs = parsed.repairDescriptions
        if let (fixed, change) = OutputRepair.repaired(graph, classes: checker.classes) {
            graph = fixed
            repairs.append(change)
        }
        guard !repairs.isEmpty else { return nil }
        let repaired = NetworkSource.emit(graph, className: parsed.className)
        guard case .success(let checked) = checker.check(repaired, file: file) else { return nil }
        return (repaired, checked, repairs)
    }

    /// Failures worth a repair (without or with the model): the source did not parse or its shapes do not fit.
    public static func isRepairable(_ failure: CandidateFailure) -> Bool {
        switch failure {
        case .parse, .shape: return true
        default: return false
        }
    }
}
