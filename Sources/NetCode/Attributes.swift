import NetIR

/// Attribute access, subscripts and their assignment forms, with the lookup order of `nn.Module`:
/// plain attributes, registered submodules, class attributes and methods, then `nn.Module`'s own methods.
extension Interpreter {
    static let moduleMethods: Set<String> = [
        "add_module", "register_module", "modules", "children", "named_children", "apply",
        "parameters", "named_parameters", "append", "extend", "insert", "keys", "values", "items", "forward",
    ]

    func attribute(_ v: Value, _ name: String, at e: Expr) throws -> Value {
        switch v {
        case .module(let m):
            return try moduleAttribute(m, name, at: e)
        case .userClass(let c):
            if let f = c.method(name) { return .function(f) }
            if let (owner, expr) = c.attribute(name) { return try classAttribute(owner, name, expr) }
        case .namespace(let ns):
            let q = ns + "." + name
            return Self.knownNamespaces.contains(q) ? .namespace(q) : .builtin(q)
        case .builtin(let q):
            return .builtin(q + "." + name)
        case .superProxy(let m, let c):
            if let base = c.base {
                if let f = base.method(name) { return .boundMethod(m, f) }
                if let (owner, expr) = base.attribute(name) { return try classAttribute(owner, name, expr) }
            }
            if name == "__init__" {
                return c.isSequential ? .method(.module(m), "__sequential_init__") : .builtin("torch.nn.Module.__init__")
            }
        case .tensor(let x):
            if name == "shape" { return sizeTuple(of: x) }
            if TensorOps.methods.contains(name) { return .method(v, name) }
            throw fail("Tensor.\(name) is not supported", at: e, kind: .unsupportedConstruct)
        case .list:
            if ["append", "extend", "insert", "pop"].contains(name) { return .method(v, name) }
        case .dict:
            if ["items", "keys", "values", "get"].contains(name) { return .method(v, name) }
        case .string:
            if name == "format" { return .method(v, name) }
        case .opaque:
            return .opaque
        case .stacked:
            if name == "sum" || name == "mean" { return .method(v, name) }
            throw fail("Tensor.\(name) of a torch.stack is not supported (only .sum or .mean over the stacked dim)", at: e, kind: .unsupportedConstruct)
        default:
            break
        }
        if let text = dottedText(e), case .module = v { throw fail("unknown name '\(text)'", at: e, kind: .undefinedName) }
        throw fail("'\(v.typeName)' has no attribute '\(name)'", at: e, kind: .undefinedName)
    }

    private func moduleAttribute(_ m: ModuleBox, _ name: String, at e: Expr) throws -> Value {
        if let v = m.attributes[name] { return v }
        if let child = m.children[name] { return .module(child) }
        if case .user(let c) = m.kind {
            if let f = c.method(name) { return f.def.isStatic ? .function(f) : .boundMethod(m, f) }
            if let (owner, expr) = c.attribute(name) { return try classAttribute(owner, name, expr) }
        }
        if name == "training" { return .training }
        if Self.moduleMethods.contains(name) { return .method(.module(m), name) }
        if let leaf = m.leaf, let v = ModuleCatalog.attribute(of: leaf.layer, name) { return v }
        if EmitterLayout.reserved.contains(name) { throw fail("\(dottedText(e) ?? name) is not supported", at: e, kind: .unsupportedConstruct) }
        if let defined = try definedMissingModule(m, name, at: e) { return defined }
        if let text = dottedText(e) { throw fail("unknown name '\(text)'", at: e, kind: .undefinedName) }
        throw fail("'\(m.typeName)' has no attribute '\(name)'", at: e, kind: .undefinedName)
    }

    /// Class-level assignments run once, on first use, in body order and in a scope of their own, so that one
    /// may use another (`width = 16 * expansion`) as in a Python class body.
    private func classAttribute(_ owner: ClassInfo, _ name: String, _ expr: Expr) throws -> Value {
        if owner.attributeValues == nil {
            guard !owner.evaluatingAttributes else { throw fail("class attribute '\(name)' is defined in terms of itself", at: expr) }
            owner.evaluatingAttributes = true
            defer { owner.evaluatingAttributes = false }
            let scope = Scope(parent: nil, function: nil)
            var values: [String: Result<Value, SourceError>] = [:]
            for (n, e) in owner.assignments {
                do {
                    let v = try evaluate(e, scope)
                    scope.vars[n] = v
                    values[n] = .success(v)
                } catch let error as SourceError {
                    values[n] = .failure(error)
                }
            }
            owner.attributeValues = values
        }
        guard let result = owner.attributeValues?[name] else { throw fail("unknown class attribute '\(name)'", at: expr, kind: .undefinedName) }
        return try result.get()
    }

    func setAttribute(_ target: Value, _ name: String, _ value: Value, at e: Expr) throws {
        guard case .module(let m) = target else {
            if case .opaque = target { return }
            throw fail("cannot set attribute '\(name)' on \(target.typeName)", at: e)
        }
        switch value {
        case .module(let child):
            guard m.leaf == nil else { throw fail("cannot add submodules to \(m.typeName)", at: e) }
            m.setChild(name, child)
        case .none where m.children[name] != nil:
            m.removeChild(name)
            m.attributes[name] = Value.none
        default:
            guard m.children[name] == nil else { throw fail("cannot assign \(value.typeName) to submodule '\(name)'", at: e) }
            m.attributes[name] = value
        }
    }

    func item(_ base: Value, _ index: Value, at e: Expr) throws -> Value {
        switch (base, index) {
        case (.tuple(let items), _): return try element(items, index, at: e) { .tuple($0) }
        case (.list(let box), _): return try element(box.items, index, at: e) { .list(ListBox($0)) }
        case (.range, .int): return try element(try materialize(base, at: e), index, at: e) { .tuple($0) }
        case (.dict(let box), _):
            try charge(box.keys.count, at: e)
            guard let i = box.index(of: index) else { throw fail("key not found in dict", at: e, kind: .undefinedName) }
            return box.values[i]
        case (.module(let m), _):
            switch (m.kind, index) {
            case _ where m.isSequenceContainer:
                let children = m.orderedChildren
                guard case .slice = index else { return try element(children.map { .module($0.1) }, index, at: e) { _ in .none } }
                // Sequential slices keep their children's names; ModuleList slices renumber them, as in PyTorch.
                let sequential = m.isSequential
                let box = ModuleBox(kind: sequential ? .sequential : .moduleList,
                                    qualifiedType: sequential ? "torch.nn.Sequential" : m.qualifiedType, location: location(e))
                for (k, i) in try sliceIndices(children.count, index, at: e).enumerated() {
                    box.setChild(sequential ? children[i].0 : String(k), children[i].1)
                }
                return .module(box)
            case (.moduleDict, .string(let key)):
                guard let child = m.children[key] else { throw fail("key '\(key)' not found in \(m.typeName)", at: e, kind: .undefinedName) }
                return .module(child)
            default:
                throw fail("\(m.typeName) is not subscriptable", at: e)
            }
        case (.tensor(let x), _):
            return try tensorIndex(x, index, at: e)
        default:
            throw fail("'\(base.typeName)' is not subscriptable", at: e)
        }
    }

    /// `items[index]` for an int, or the slice rebuilt by `make`.
    private func element(_ items: [Value], _ index: Value, at e: Expr, _ make: ([Value]) throws -> Value) throws -> Value {
        if case .slice = index { try charge(items.count, at: e) }
        switch index {
        case .int(let i):
            let j = i < 0 ? i + items.count : i
            guard j >= 0, j < items.count else { throw fail("index \(i) is out of range", at: e) }
            return items[j]
        case .bool(let b):
            let j = b ? 1 : 0
            guard j < items.count else { throw fail("index \(j) is out of range", at: e) }
            return items[j]
        case .slice:
            return try make(try sliceIndices(items.count, index, at: e).map { items[$0] })
        default:
            throw fail("indices must be integers or slices, not \(index.typeName)", at: e)
        }
    }

    /// The positions a Python slice selects from a sequence of `count` elements.
    func sliceIndices(_ count: Int, _ index: Value, at e: Expr) throws -> [Int] {
        guard case .slice(let lower, let upper, let stepValue) = index else { return [] }
        let step = stepValue ?? 1
        guard step != 0 else { throw fail("slice step cannot be zero", at: e) }
        func clamp(_ v: Int?, _ defaultValue: Int) -> Int {
            guard var v else { return defaultValue }
            if v < 0 { v += count }
            return step > 0 ? min(max(v, 0), count) : min(max(v, -1), count - 1)
        }
        var result: [Int] = []
        var i = clamp(lower, step > 0 ? 0 : count - 1)
        let end = clamp(upper, step > 0 ? count : -1)
        while step > 0 ? i < end : i > end {
            result.append(i)
            let (next, overflow) = i.addingReportingOverflow(step)
            if overflow { break }
            i = next
        }
        return result
    }

    func setItem(_ base: Value, _ index: Value, _ value: Value, at e: Expr) throws {
        switch (base, index, value) {
        case (.list(let box), .int(let i), _):
            let j = i < 0 ? i + box.items.count : i
            guard j >= 0, j < box.items.count else { throw fail("index \(i) is out of range", at: e) }
            box.items[j] = value
        case (.dict(let box), _, _):
            guard box.keys.count < Limits.collection else { throw tooLarge(at: e) }
            try charge(box.keys.count, at: e)
            box.set(index, value)
        case (.module(let m), .int(let i), .module(let child)):
            guard case .moduleList = m.kind else { throw fail("\(m.typeName) does not support item assignment", at: e) }
            let names = m.orderedChildren.map(\.0)
            let j = i < 0 ? i + names.count : i
            guard j >= 0, j < names.count else { throw fail("index \(i) is out of range", at: e) }
            m.setChild(names[j], child)
        case (.module(let m), .string(let key), .module(let child)):
            guard case .moduleDict = m.kind else { throw fail("\(m.typeName) does not support item assignment", at: e) }
            m.setChild(key, child)
        default:
            throw fail("'\(base.typeName)' does not support item assignment", at: e)
        }
    }
}
