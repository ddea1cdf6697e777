import Foundation
import NetIR

/// PyTorch network source in, PyTorch network source out. Source is parsed and evaluated statically by our own
/// interpreter for a subset of Python; nothing is ever executed by Python.
public enum NetworkSource {
    /// Parses `source`, picks the network class (`className`, else `Net`, else the last `nn.Module` subclass that
    /// no other class or function uses), instantiates it and translates `forward` for inputs of shape `input`.
    /// Every failure is a `SourceError` located in `file`. With `repairInputSizes`, a Linear's in_features, a
    /// Conv2d's in_channels or a BatchNorm's num_features that disagrees with the tensor reaching it is set
    /// from that tensor (see `InputSizeRepair`) and listed in `repairs`; everything else stays as strict.
    public static func parse(_ source: String, file: String = "<network>", input: TensorShape,
                             className: String? = nil, repairInputSizes: Bool = false) throws -> ParsedNetwork {
        try attempt(source, file: file, input: input, className: className, repair: repairInputSizes, removedModules: [])
            .result.get()
    }

    /// Parses in repair mode (`repairInputSizes`, plus a flatten before a Linear an image reaches, modules named for
    /// one stateless layer, projections for residual skips of another shape; see `ParsedNetwork.repairDescriptions`),
    /// and where an image layer was called after the flatten, parses again with that layer applied before the flatten
    /// (`MisplacedLayerRepair`). `removedModules`: the parent network's top-level modules, whose calls are dropped
    /// where the source no longer defines them. Throws the first parse's error when the repairs do not suffice.
    public static func parseRepairing(_ source: String, file: String = "<network>", input: TensorShape,
                                      className: String? = nil, removedModules: Set<String> = []) throws -> ParsedNetwork {
        var moves: [MisplacedLayerRepair] = []
        var firstError: SourceError?
        while true {
            let (result, misplaced) = attempt(source, file: file, input: input, className: className, repair: true,
                                              removedModules: removedModules, moves: moves)
            switch result {
            case .success(var parsed):
                parsed.moves = moves
                return parsed
            case .failure(let error):
                let first = firstError ?? error
                firstError = first
                guard moves.count < MisplacedLayerRepair.limit, let move = misplaced,
                      !moves.contains(where: { $0.module == move.module }) else { throw first }
                moves.append(move)
            }
        }
    }

    /// One parse on a large stack, with the move a failed repair-mode parse suggests.
    private static func attempt(_ source: String, file: String, input: TensorShape, className: String?, repair: Bool,
                                removedModules: Set<String>, moves: [MisplacedLayerRepair] = []) -> (result: Result<ParsedNetwork, SourceError>, misplaced: MisplacedLayerRepair?) {
        let box = ResultBox()
        let work: @Sendable () -> Void = {
            let interpreter = Interpreter(file: file)
            interpreter.repairInputSizes = repair
            interpreter.removedModules = removedModules
            interpreter.misplacedLayers = moves
            box.result = Result { try parseHere(source, file: file, input: input, className: className, interpreter: interpreter) }
                .mapError { error in
                    (error as? SourceError) ?? SourceError(location: SourceLocation(file: file, line: 1, column: 1),
                                                           message: "internal error: \(error)", kind: .internal)
                }
            box.misplaced = interpreter.misplacedLayer
        }
        if !LargeStack.shared.run(work) { work() }
        guard let result = box.result else {
            return (.failure(SourceError(location: SourceLocation(file: file, line: 1, column: 1), message: "internal error: no result",
                                         kind: .internal)), nil)
        }
        return (result, box.misplaced)
    }

    /// Up to `limit` independent errors in `source`, each located; empty when `parse` would succeed. After an
    /// error in one statement the rest of the method still runs (see `Diagnostics`), so an editor or a model
    /// repairing the file sees every independent problem at once; a syntax error is reported alone.
    public static func diagnose(_ source: String, file: String = "<network>", input: TensorShape,
                                className: String? = nil, limit: Int = 10) -> [SourceError] {
        let box = DiagnosticsBox()
        let ran = LargeStack.shared.run { box.errors = diagnoseHere(source, file: file, input: input, className: className, limit: limit) }
        return ran ? box.errors : diagnoseHere(source, file: file, input: input, className: className, limit: limit)
    }

    static func diagnoseHere(_ source: String, file: String, input: TensorShape, className: String?, limit: Int) -> [SourceError] {
        let diagnostics = Diagnostics(limit: max(1, limit))
        do {
            try validate(input, file: file)
            let body = try Parser.parse(source, file: file)
            let interpreter = Interpreter(file: file)
            interpreter.diagnostics = diagnostics
            try interpreter.load(body)
            _ = try interpreter.translate(try interpreter.selectClass(className), input: input)
        } catch let error as SourceError {
            diagnostics.recordFinal(error)
        } catch is Diagnostics.Full {
        } catch {
            diagnostics.recordFinal(SourceError(location: SourceLocation(file: file, line: 1, column: 1),
                                                message: "internal error: \(error)", kind: .internal))
        }
        return diagnostics.errors
    }

    private final class DiagnosticsBox: @unchecked Sendable {
        var errors: [SourceError] = []
    }

    /// The work of `parse`, on the current thread, with an interpreter set up for strict or repair mode.
    static func parseHere(_ source: String, file: String, input: TensorShape, className: String?,
                          interpreter: Interpreter) throws -> ParsedNetwork {
        try validate(input, file: file)
        let body = try Parser.parse(source, file: file)
        try interpreter.load(body)
        var parsed = try interpreter.translate(try interpreter.selectClass(className), input: input)
        parsed.repairs = interpreter.inputSizeRepairs
        parsed.definedModules = interpreter.missingModuleRepairs
        parsed.flattens = interpreter.flattenRepairs
        parsed.shortcuts = interpreter.shortcutRepairs
        return parsed
    }

    /// Refuses input shapes no network takes (rank other than CxHxW or F, empty, or too large).
    static func validate(_ input: TensorShape, file: String) throws {
        let elements = input.dims.reduce(into: (count: 1, overflow: false)) { acc, d in
            let (p, o) = acc.count.multipliedReportingOverflow(by: d)
            acc = (p, acc.overflow || o)
        }
        guard input.rank == 1 || input.rank == 3, input.dims.allSatisfy({ $0 > 0 }), !elements.overflow,
              elements.count <= Limits.tensorElements else {
            throw SourceError(location: SourceLocation(file: file, line: 1, column: 1),
                              message: "input shape [\(input)] is not supported (expected CxHxW or F, all positive)", kind: .input)
        }
    }

    private final class ResultBox: @unchecked Sendable {
        var result: Result<ParsedNetwork, SourceError>?
        var misplaced: MisplacedLayerRepair?
    }
}
