import NetCode
import NetIR

/// The repairs a model's child gets without the model, where the intent is unambiguous: input sizes set from the
/// tensor that reaches the module (`InputSizeRepair`), modules used in `forward` but never defined
/// (`MissingModuleRepair`: defined from a name that says one stateless layer, or the call dropped when the parent
/// had the module), a flatten before a Linear that an image reaches (`FlattenRepair`), an image layer called after
/// the flatten moved before it (`MisplacedLayerRepair`), a 1x1 projection for a residual skip of another shape
/// (`ShortcutRepair`), and a last Linear that does not output the class count (`OutputRepair`). One place for the
/// search (`checkRepairing` in ChildVetting.swift) and the yield harness (`ReplyYield`).
public enum ModelFreeRepair {
    /// The repaired source, its checked network and one line per change; nil when the failure is not one of
    /// these or the repaired network still fails a check. `parents`: the sources the child was made from.
    public static func repair(_ source: String, file: String, input: TensorShape, parents: [String] = [],
                              checker: CandidateChecker) -> (source: String, candidate: CheckedCandidate, repairs: [String])? {
        let removable = Set(parents.flatMap { topLevelModules($0, input: input) })
        guard let parsed = try? NetworkSource.parseRepairing(source, file: file, input: input, removedModules: removable)
        else { return nil }
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

    /// The names `self.NAME` of a parent's modules (the first part of each module path).
    static func topLevelModules(_ source: String, input: TensorShape) -> [String] {
        guard let parsed = try? NetworkSource.parse(source, file: "parent.py", input: input) else { return [] }
        return parsed.graph.nodes.dropFirst().compactMap { $0.module.split(separator: ".").first.map(String.init) }
    }

    /// Failures worth a repair (without or with the model): the source did not parse or its shapes do not fit.
    public static func isRepairable(_ failure: CandidateFailure) -> Bool {
        switch failure {
        case .parse, .shape: return true
        default: return false
        }
    }
}
