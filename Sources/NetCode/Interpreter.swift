import NetIR

/// Local variables of one function call or comprehension; lookups continue in `parent`, then in globals.
final class Scope {
    var vars: [String: Value] = [:]
    let parent: Scope?
    /// The function being run, for argument-less `super()`.
    let function: FunctionInfo?

    init(parent: Scope?, function: FunctionInfo?) { self.parent = parent; self.function = function }

    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let s = scope {
            if let v = s.vars[name] { return v }
            scope = s.parent
        }
        return nil
    }
}

/// A top-level name. Assignments are evaluated on first use, so test code at module level never runs.
final class GlobalSlot {
    var value: Value?
    let expr: Expr?
    var evaluating = false
    init(value: Value) { self.value = value; expr = nil }
    init(expr: Expr) { value = nil; self.expr = expr }
}

enum Flow {
    case normal
    case returned(Value)
    case breakLoop
    case continueLoop
}

/// Evaluates the Python subset statically: it instantiates the network class (running `__init__` bodies over
/// constants, lists and module constructors) and then runs `forward` over symbolic tensors, which appends graph
/// nodes instead of computing anything. Work, nesting and sizes are bounded by `Limits`.
final class Interpreter {
    let file: String
    var globals: [String: GlobalSlot] = [:]
    /// Top-level classes in source order.
    var classes: [ClassInfo] = []
    var starImports: [String] = []
    var steps = 0
    var depth = 0
    var moduleCount = 0
    /// The graph being built while `forward` runs; nil while the network is being instantiated.
    var graph: GraphState?
    /// Repair mode (`NetworkSource.parse(repairInputSizes: true)`): input sizes are set from the tensor that
    /// reaches a module instead of being an error. Off for every strict parse.
    var repairInputSizes = false
    var inputSizeRepairs: [InputSizeRepair] = []
    var repairedLayers: [String: Layer] = [:]
    /// Repair mode: modules `forward` used but `__init__` never defined, defined from their name.
    var missingModuleRepairs: [MissingModuleRepair] = []
    /// Repair mode: top-level modules of the parent network; a call of one the source no longer defines is dropped.
    var removedModules: Set<String> = []
    /// Repair mode: flattens put before a Linear that an image reached.
    var flattenRepairs: [FlattenRepair] = []
    /// Repair mode: 1x1 projections given to residual skips of another shape.
    var shortcutRepairs: [ShortcutRepair] = []
    /// Repair mode: set when a module call failed on a flattened tensor whose image it fits (the parse is then
    /// retried with the layer moved; see `NetworkSource.parseRepairing`).
    var misplacedLayer: MisplacedLayerRepair?
    /// Repair mode: the layers this parse applies before their flatten (found by earlier parses).
    var misplacedLayers: [MisplacedLayerRepair] = []
    /// The batch size of a dummy forward under way (`DummyForward`); nil otherwise, and always in `forward`.
    var dummyBatch: Int?
    /// Set by `NetworkSource.diagnose`: statements that fail are recorded and skipped instead of ending the run.
    var diagnostics: Diagnostics?

    static let knownNamespaces: Set<String> = [
        "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "collections", "math", "typing", "numpy",
        "functools", "torchvision",
    ]

    /// Names Python provides without imports, plus the conventional `torch`/`nn`/`F` aliases, which language
    /// models sometimes forget to import.
    static func builtin(_ name: String) -> Value? {
        switch name {
        case "torch": return .namespace("torch")
        case "nn": return .namespace("torch.nn")
        case "F": return .namespace("torch.nn.functional")
        case "OrderedDict": return .builtin("collections.OrderedDict")
        default: return pythonBuiltins.contains(name) ? .builtin(name) : nil
        }
    }

    static let pythonBuiltins: Set<String> = [
        "range", "len", "int", "float", "bool", "str", "abs", "min", "max", "sum", "round", "list", "tuple",
        "enumerate", "zip", "reversed", "print", "isinstance", "getattr", "hasattr", "setattr", "super", "dict", "object",
    ]

    init(file: String) { self.file = file }

    func location(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: file, line: line, column: column) }
    func location(_ e: Expr) -> SourceLocation { location(e.line, e.column) }
    func fail(_ message: String, at e: Expr, kind: SourceError.Kind = .evaluation, layer: String? = nil,
              hint: String? = nil) -> SourceError {
        SourceError(location: location(e), message: message, kind: kind, layer: layer, hint: hint)
    }
    func fail(_ message: String, at s: Stmt, kind: SourceError.Kind = .evaluation, hint: String? = nil) -> SourceError {
        SourceError(location: location(s.line, s.column), message: message, kind: kind, hint: hint)
    }

    /// Spends evaluation steps. Work proportional to data size (copying a list, searching a dict) passes `cost`,
    /// one step per 16 elements, so quadratic patterns in source code also run out of steps instead of time.
    func tick(_ line: Int, _ column: Int, cost: Int = 1) throws {
        steps += max(1, cost / 16)
        guard steps <= Limits.steps else {
            throw SourceError(location: location(line, column),
                              message: "evaluation takes too long (more than \(Limits.steps) steps; a loop too long?)", kind: .limit)
        }
    }

    /// Counts nested evaluation frames; recursion in the source ends here instead of in a stack overflow.
    func enter(_ line: Int, _ column: Int) throws {
        guard depth < Limits.evaluationDepth else {
            throw SourceError(location: location(line, column), message: "evaluation is nested too deeply (recursion?)", kind: .limit)
        }
        depth += 1
    }

    // MARK: Module level

    func load(_ body: [Stmt]) throws {
        for stmt in body {
            switch stmt.kind {
            case .importModules, .importFrom:
                try bindImport(stmt) { globals[$0] = GlobalSlot(value: $1) }
            case .classDef(let def):
                let info = registerClass(def)
                classes.append(info)
                globals[def.name] = GlobalSlot(value: .userClass(info))
            case .functionDef(let def):
                globals[def.name] = GlobalSlot(value: .function(FunctionInfo(def: def, owner: nil)))
            case .assign(let targets, let value):
                for case .name(let n) in targets.map(\.kind) { globals[n] = GlobalSlot(expr: value) }
            case .annotated(let target, let value?):
                if case .name(let n) = target.kind { globals[n] = GlobalSlot(expr: value) }
            default:
                continue
            }
        }
    }

    func bindImport(_ stmt: Stmt, _ bind: (String, Value) -> Void) throws {
        switch stmt.kind {
        case .importModules(let names):
            for n in names {
                if let alias = n.alias { bind(alias, .namespace(n.name)) }
                else { bind(String(n.name.prefix { $0 != "." }), .namespace(String(n.name.prefix { $0 != "." }))) }
            }
        case .importFrom(let module, let names):
            if names.isEmpty { starImports.append(module) }
            for n in names {
                let q = module + "." + n.name
                bind(n.alias ?? n.name, Self.knownNamespaces.contains(q) ? .namespace(q) : .builtin(q))
            }
        default: break
        }
    }

    private func registerClass(_ def: ClassDef) -> ClassInfo {
        var base: ClassInfo?
        var isModule = false
        var isSequential = false
        var problem: String?
        let scope = Scope(parent: nil, function: nil)
        for b in def.bases {
            let text = dottedText(b) ?? "this base"
            switch try? evaluate(b, scope) {
            case .userClass(let c)?:
                if base == nil { base = c; isModule = c.isModule; isSequential = c.isSequential; problem = c.problem }
            case .builtin("torch.nn.Module")?: isModule = true
            case .builtin("torch.nn.Sequential")?: isModule = true; isSequential = true
            case .builtin("object")?: continue
            case .builtin(let q)?: problem = "subclassing \(Value.display(q)) is not supported"
            default: problem = "unknown base class '\(text)'"
            }
        }
        if problem == nil && !isModule { problem = "class \(def.name) does not derive from nn.Module" }
        return ClassInfo(def: def, base: base, isModule: isModule, isSequential: isSequential, problem: problem)
    }

    /// `a.b.c` as written, for messages; nil for anything that is not a dotted name.
    func dottedText(_ e: Expr) -> String? {
        switch e.kind {
        case .name(let n): return n
        case .attribute(let base, let name): return dottedText(base).map { "\($0).\(name)" }
        default: return nil
        }
    }

    func lookup(_ name: String, _ scope: Scope, at e: Expr) throws -> Value {
        if let v = scope.lookup(name) { return v }
        if let slot = globals[name] {
            if let v = slot.value { return v }
            if let expr = slot.expr {
                guard !slot.evaluating else { throw fail("'\(name)' is defined in terms of itself", at: e) }
                slot.evaluating = true
                defer { slot.evaluating = false }
                let v = try evaluate(expr, Scope(parent: nil, function: nil))
                slot.value = v
                return v
            }
        }
        if let v = Self.builtin(name) { return v }
        for module in starImports {
            let q = module + "." + name
            if Self.knownNamespaces.contains(q) { return .namespace(q) }
            if q == "torch.nn.Module" || ModuleCatalog.knows(q) || TensorOps.knows(q) { return .builtin(q) }
        }
        throw fail("unknown name '\(name)'", at: e, kind: .undefinedName)
    }

    // MARK: Statements

    func exec(_ body: [Stmt], _ scope: Scope) throws -> Flow {
        for stmt in body {
            let flow: Flow
            if let diagnostics {
                do { flow = try exec(stmt, scope) } catch let error as SourceError where Diagnostics.canContinue(after: error) {
                    try diagnostics.record(error, in: stmt)
                    continue
                }
            } else {
                flow = try exec(stmt, scope)
            }
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    func exec(_ stmt: Stmt, _ scope: Scope) throws -> Flow {
        try tick(stmt.line, stmt.column)
        switch stmt.kind {
        case .expression(let e):
            _ = try evaluate(e, scope)
        case .assign(let targets, let value):
            let v: Value
            do { v = try evaluate(value, scope) } catch var error as SourceError where error.layer == nil {
                // `self.rnn = nn.LSTM(...)`: the error belongs to the module `rnn`.
                if targets.count == 1, case .attribute(let base, let name) = targets[0].kind, case .name("self") = base.kind {
                    error.layer = name
                }
                throw error
            }
            for target in targets { try assign(target, v, scope) }
        case .augmentedAssign(let target, let op, let value):
            let current = try evaluate(target, scope)
            let result = try binary(op, current, try evaluate(value, scope), at: target)
            try assign(target, result, scope)
        case .annotated(let target, let value):
            if let value { try assign(target, try evaluate(value, scope), scope) }
        case .pass:
            break
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        case .returnValue(let e):
            return .returned(try e.map { try evaluate($0, scope) } ?? .none)
        case .importModules, .importFrom:
            try bindImport(stmt) { scope.vars[$0] = $1 }
        case .classDef:
            throw fail("classes defined inside functions are not supported", at: stmt, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.nestedClass))
        case .functionDef(let def):
            scope.vars[def.name] = .function(FunctionInfo(def: def, owner: nil, closure: scope))
        case .ifChain(let branches, let otherwise):
            try enter(stmt.line, stmt.column)
            defer { depth -= 1 }
            for branch in branches where try truthy(try evaluate(branch.condition, scope), at: branch.condition) {
                return try exec(branch.body, scope)
            }
            return try exec(otherwise, scope)
        case .forLoop(let target, let iterable, let body, let otherwise):
            try enter(stmt.line, stmt.column)
            defer { depth -= 1 }
            return try loop(target, try evaluate(iterable, scope), at: iterable, body: body, otherwise: otherwise, scope)
        case .whileLoop(let condition, let body, let otherwise):
            try enter(stmt.line, stmt.column)
            defer { depth -= 1 }
            while try truthy(try evaluate(condition, scope), at: condition) {
                try tick(stmt.line, stmt.column)
                switch try exec(body, scope) {
                case .breakLoop: return .normal
                case .returned(let v): return .returned(v)
                case .normal, .continueLoop: continue
                }
            }
            return try exec(otherwise, scope)
        case .with(let contexts, let body):
            for c in contexts { try enterGradientContext(c.context, target: c.target, scope) }
            return try exec(body, scope)
        case .unsupported(let what):
            throw fail("\(what) are not supported", at: stmt, kind: .unsupportedConstruct)
        }
        return .normal
    }

    private func loop(_ target: Expr, _ sequence: Value, at e: Expr, body: [Stmt], otherwise: [Stmt],
                      _ scope: Scope) throws -> Flow {
        var result = Flow.normal
        var broke = false
        try iterate(sequence, at: e) { item in
            try assign(target, item, scope)
            switch try exec(body, scope) {
            case .breakLoop: broke = true; return false
            case .returned(let v): result = .returned(v); return false
            case .normal, .continueLoop: return true
            }
        }
        if case .returned = result { return result }
        return broke ? .normal : try exec(otherwise, scope)
    }

    func assign(_ target: Expr, _ value: Value, _ scope: Scope) throws {
        switch target.kind {
        case .name(let n):
            scope.vars[n] = value
        case .attribute(let base, let name):
            try setAttribute(try evaluate(base, scope), name, value, at: target)
        case .index(let base, let index):
            try setItem(try evaluate(base, scope), try evaluate(index, scope), value, at: target)
        case .tuple(let targets), .list(let targets):
            let values = try materialize(value, at: target)
            guard values.count == targets.count else {
                throw fail("cannot unpack \(values.count) values into \(targets.count) names", at: target)
            }
            for (t, v) in zip(targets, values) { try assign(t, v, scope) }
        default:
            throw fail("cannot assign to this expression", at: target)
        }
    }

    /// Runs `body` for each element; `body` returns false to stop. Every element costs a step, so loops over
    /// `range(10**9)` end with an error instead of hanging.
    func iterate(_ sequence: Value, at e: Expr, _ body: (Value) throws -> Bool) throws {
        switch sequence {
        case .range(let start, let stop, let step):
            var i = start
            while step > 0 ? i < stop : i > stop {
                try tick(e.line, e.column)
                guard try body(.int(i)) else { return }
                let (next, overflow) = i.addingReportingOverflow(step)
                if overflow { return }
                i = next
            }
        default:
            for item in try elements(of: sequence, at: e) {
                try tick(e.line, e.column)
                guard try body(item) else { return }
            }
        }
    }

    /// The elements of a finite sequence (not `range`, which `materialize` handles with a size check).
    private func elements(of sequence: Value, at e: Expr) throws -> [Value] {
        switch sequence {
        case .tuple(let items): return items
        case .list(let box): return box.items
        case .dict(let box): return box.keys
        case .string(let s): return s.map { .string(String($0)) }
        case .module(let m):
            if m.isSequenceContainer { return m.orderedChildren.map { .module($0.1) } }
            if case .moduleDict = m.kind { return m.orderedChildren.map { .string($0.0) } }
            throw fail("\(m.typeName) is not iterable", at: e)
        case .range: return try materialize(sequence, at: e)
        case .tensor: throw fail("iterating over a tensor is not supported", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.tensorIteration))
        default: throw fail("'\(sequence.typeName)' is not iterable", at: e)
        }
    }

    func charge(_ elements: Int, at e: Expr) throws { try tick(e.line, e.column, cost: elements) }

    /// All elements of an iterable as an array, refusing more than `Limits.collection`.
    func materialize(_ sequence: Value, at e: Expr) throws -> [Value] {
        if case .range(let start, let stop, let step) = sequence {
            guard let count = Self.rangeCount(start, stop, step), count <= Limits.collection else { throw tooLarge(at: e) }
            try charge(count, at: e)
            return (0..<count).map { .int(start + $0 * step) }
        }
        var result: [Value] = []
        try iterate(sequence, at: e) { item in
            guard result.count < Limits.collection else { throw tooLarge(at: e) }
            result.append(item)
            return true
        }
        return result
    }

    /// Elements of `range(start, stop, step)`; nil when the count does not fit an Int.
    static func rangeCount(_ start: Int, _ stop: Int, _ step: Int) -> Int? {
        guard step != 0, step > 0 ? stop > start : start > stop else { return 0 }
        let (span, overflow) = step > 0 ? stop.subtractingReportingOverflow(start) : start.subtractingReportingOverflow(stop)
        guard !overflow, step != Int.min else { return nil }
        return (span - 1) / abs(step) + 1
    }

    func tooLarge(at e: Expr) -> SourceError { fail("collection is larger than \(Limits.collection) elements", at: e, kind: .limit) }
}
