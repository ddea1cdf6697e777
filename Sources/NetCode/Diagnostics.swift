import NetIR

/// Several independent errors from one file (`NetworkSource.diagnose`). The interpreter records a failing
/// statement's error and goes on with the next statement; what the statement would have assigned is marked
/// failed, and an error in a later statement that reads a failed name (`x`, `self.conv`) is a consequence, not
/// another error, so it is not reported. Syntax errors and exhausted limits still end the run.
final class Diagnostics {
    let limit: Int
    private(set) var errors: [SourceError] = []
    private var failedNames: Set<String> = []
    private var locations: Set<SourceLocation> = []

    /// Thrown when `limit` errors are recorded: the run stops there.
    struct Full: Error {}

    init(limit: Int) { self.limit = limit }

    /// Errors after which evaluation can go on: not exhausted bounds or our own faults.
    static func canContinue(after error: SourceError) -> Bool {
        switch error.kind {
        case .limit, .internal, .syntax, .input, .noNetwork: return false
        case .unsupportedConstruct, .unknownModule, .unsupportedOption, .arguments, .undefinedName, .evaluation,
             .shape, .missingForward:
            return true
        }
    }

    func record(_ error: SourceError, in stmt: Stmt) throws {
        var read = Set<String>()
        NameCollector.collect([stmt], into: &read)
        let consequence = !read.isDisjoint(with: failedNames)
        failedNames.formUnion(Self.assigned(by: stmt))
        guard !consequence else { return }
        try add(error)
    }

    /// Adds an error found outside any statement (the class, `forward`'s result, the finished graph) unless
    /// earlier errors explain it.
    func recordFinal(_ error: SourceError) {
        guard errors.isEmpty else { return }
        try? add(error)
    }

    private func add(_ error: SourceError) throws {
        guard locations.insert(error.location).inserted else { return }
        errors.append(error)
        if errors.count >= limit { throw Full() }
    }

    /// The names and attribute paths a statement binds.
    static func assigned(by stmt: Stmt) -> Set<String> {
        var out = Set<String>()
        func target(_ e: Expr) {
            switch e.kind {
            case .tuple(let items), .list(let items): items.forEach(target)
            case .starred(let inner): target(inner)
            case .index(let base, _): if let d = NameCollector.dotted(base) { out.insert(d) }
            default: if let d = NameCollector.dotted(e) { out.insert(d) }
            }
        }
        switch stmt.kind {
        case .assign(let targets, _): targets.forEach(target)
        case .augmentedAssign(let t, _, _), .annotated(let t, _): target(t)
        case .forLoop(let t, _, let body, _): target(t); body.forEach { out.formUnion(assigned(by: $0)) }
        case .ifChain(let branches, let otherwise):
            for b in branches { b.body.forEach { out.formUnion(assigned(by: $0)) } }
            otherwise.forEach { out.formUnion(assigned(by: $0)) }
        case .whileLoop(_, let body, _), .with(_, let body): body.forEach { out.formUnion(assigned(by: $0)) }
        case .functionDef(let f): out.insert(f.name)
        case .expression(let e):
            // `self.features.add_module(...)`: the receiver is what the failed call would have changed.
            if case .call(let f, _) = e.kind, case .attribute(let base, _) = f.kind, let d = NameCollector.dotted(base),
               d != "self" { out.insert(d) }
        default: break
        }
        return out
    }
}
