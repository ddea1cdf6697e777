import NetIR

/// Calls: functions and methods from the source, classes (module instantiation), module calls in `forward`,
/// and native methods of lists, dicts and modules.
extension Interpreter {
    func call(_ callee: Value, _ args: CallArguments, at e: Expr) throws -> Value {
        switch callee {
        case .builtin(let q): return try callBuiltin(q, args, at: e)
        case .userClass(let c): return try instantiate(c, args, at: e)
        case .function(let f): return try callFunction(f, self: nil, args, at: e)
        case .boundMethod(let m, let f): return try callFunction(f, self: .module(m), args, at: e)
        case .method(let receiver, let name): return try callMethod(receiver, name, args, at: e)
        case .module(let m): return try callModule(m, args, at: e)
        case .opaque: return .opaque
        default: throw fail("'\(callee.typeName)' is not callable", at: e)
        }
    }

    /// The callee as written (`nn.LSTM`), for messages.
    func calleeText(_ e: Expr, _ fallback: String) -> String {
        if case .call(let f, _) = e.kind, let text = dottedText(f) { return text }
        return Value.display(fallback)
    }

    private func callBuiltin(_ q: String, _ args: CallArguments, at e: Expr) throws -> Value {
        if Self.pythonBuiltins.contains(q) || q.hasPrefix("math.") || q == "collections.OrderedDict" {
            return try callPythonBuiltin(q, args, at: e)
        }
        if q == "torch.nn.Module.__init__" || q.hasPrefix("torch.nn.init.") { return .none }
        if q == "torch.nn.Sequential.__init__", case .module(let m)? = args.positional.first?.value, m.isSequential {
            var rest = args
            rest.positional.removeFirst()
            try fillSequential(m, rest, callee: "nn.Sequential.__init__", at: e)
            return .none
        }
        if ModuleCatalog.knows(q) { return try construct(q, args, at: e) }
        if TensorOps.knows(q) { return try callTensorFunction(q, args, at: e) }
        let text = calleeText(e, q)
        let known = q.hasPrefix("torch.")
        let hint = NearEquivalents.hint(forCall: q)
        if let reason = ModuleCatalog.unsupportedReason(q) {
            throw fail("\(text) is not supported (\(reason))", at: e, kind: .unknownModule, hint: hint)
        }
        throw fail("\(text) is not supported", at: e, kind: known ? .unknownModule : .unsupportedConstruct, hint: hint)
    }

    func callFunction(_ f: FunctionInfo, self receiver: Value?, _ args: CallArguments, at e: Expr) throws -> Value {
        guard !f.def.decorated else { throw fail("decorated functions are not supported ('\(f.def.name)')", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.decorator)) }
        try enter(e.line, e.column)
        defer { depth -= 1 }
        let scope = Scope(parent: f.closure, function: f)
        try bindParameters(f, receiver, args, into: scope, at: e)
        if case .returned(let v) = try exec(f.def.body, scope) { return v }
        return .none
    }

    private func bindParameters(_ f: FunctionInfo, _ receiver: Value?, _ args: CallArguments, into scope: Scope,
                                at e: Expr) throws {
        let def = f.def
        let positional = (receiver.map { [($0, e)] } ?? []) + args.positional
        var keywords = args.keywords
        var used = 0
        let name = f.owner.map { "\($0.name).\(def.name)" } ?? def.name
        for p in def.parameters {
            switch p.kind {
            case .normal:
                let keyword = keywords.firstIndex { $0.name == p.name }
                if !p.keywordOnly && used < positional.count {
                    if let k = keyword { throw fail("\(name)() got multiple values for argument '\(p.name)'", at: keywords[k].expr) }
                    scope.vars[p.name] = positional[used].value
                    used += 1
                } else if let k = keyword {
                    scope.vars[p.name] = keywords.remove(at: k).value
                } else if let d = p.defaultValue {
                    scope.vars[p.name] = try evaluate(d, Scope(parent: nil, function: nil))
                } else {
                    throw fail("\(name)() missing required argument '\(p.name)'", at: e, kind: .arguments)
                }
            case .variadic:
                scope.vars[p.name] = .tuple(positional[used...].map(\.value))
                used = positional.count
            case .keywords:
                let box = DictBox()
                for k in keywords { box.set(.string(k.name), k.value) }
                scope.vars[p.name] = .dict(box)
                keywords = []
            }
        }
        if used < positional.count {
            let accepted = def.parameters.filter { $0.kind == .normal && !$0.keywordOnly }.count
            throw fail("\(name)() takes \(accepted) positional arguments but \(positional.count) were given", at: positional[used].1, kind: .arguments)
        }
        if let k = keywords.first { throw fail("\(name)() got an unexpected keyword argument '\(k.name)'", at: k.expr, kind: .arguments) }
    }

    /// Creates a module of a class from the source by running its `__init__` on a fresh instance.
    func instantiate(_ c: ClassInfo, _ args: CallArguments, at e: Expr) throws -> Value {
        guard c.isModule else { throw fail(c.problem ?? "class \(c.name) is not an nn.Module", at: e) }
        let box = try newModule(.user(c), qualifiedType: c.name, at: e)
        if let initializer = c.method("__init__") {
            _ = try callFunction(initializer, self: .module(box), args, at: e)
        } else if !args.isEmpty {
            throw fail("\(c.name)() takes no arguments", at: e, kind: .arguments)
        }
        return .module(box)
    }

    func newModule(_ kind: ModuleBox.Kind, qualifiedType: String, at e: Expr) throws -> ModuleBox {
        moduleCount += 1
        guard moduleCount <= Limits.modules else { throw fail("more than \(Limits.modules) modules", at: e, kind: .limit) }
        return ModuleBox(kind: kind, qualifiedType: qualifiedType, location: location(e))
    }

    /// `module(x)`: a layer adds a node, a container or class runs its children or its `forward`.
    func callModule(_ m: ModuleBox, _ args: CallArguments, at e: Expr) throws -> Value {
        switch m.kind {
        case .user(let c):
            if let forward = c.method("forward") { return try callFunction(forward, self: .module(m), args, at: e) }
            guard c.isSequential else { throw fail("\(c.name) has no forward() method", at: e, kind: .missingForward) }
            return try runSequence(m, args, at: e)
        case .leaf(let leaf):
            return try applyLeaf(m, leaf, try singleTensor(args, m.typeName, at: e), at: e)
        case .sequential:
            return try runSequence(m, args, at: e)
        case .moduleList, .moduleDict:
            throw fail("\(m.typeName) is not callable; iterate over it and call its modules", at: e)
        }
    }

    /// `nn.Sequential.forward`: each child on the previous child's output.
    private func runSequence(_ m: ModuleBox, _ args: CallArguments, at e: Expr) throws -> Value {
        try enter(e.line, e.column)
        defer { depth -= 1 }
        guard args.positional.count == 1, args.keywords.isEmpty else { throw fail("\(m.typeName) takes exactly one input", at: e, kind: .arguments) }
        var value = args.positional[0].value
        for (_, child) in m.orderedChildren {
            var next = CallArguments()
            next.positional = [(value, e)]
            value = try callModule(child, next, at: e)
        }
        return value
    }

    func singleTensor(_ args: CallArguments, _ callee: String, at e: Expr) throws -> Int {
        guard args.positional.count == 1, args.keywords.isEmpty, case .tensor(let x) = args.positional[0].value else {
            throw fail("\(callee) expects a single tensor argument", at: e)
        }
        return x
    }

    private func callMethod(_ receiver: Value, _ name: String, _ args: CallArguments, at e: Expr) throws -> Value {
        switch receiver {
        case .list(let box): return try listMethod(box, name, args, at: e)
        case .dict(let box):
            switch name {
            case "items": return .list(ListBox(zip(box.keys, box.values).map { .tuple([$0, $1]) }))
            case "keys": return .list(ListBox(box.keys))
            case "values": return .list(ListBox(box.values))
            default:
                let b = try bind("key, default=None", args, callee: "dict.get", at: e)
                try charge(box.keys.count, at: e)
                return box.index(of: b["key"]).map { box.values[$0] } ?? b["default"]
            }
        case .module(let m): return try moduleMethod(m, name, args, at: e)
        case .tensor(let x): return try tensorMethod(x, name, args, at: e)
        case .stacked(let xs, let dim):
            let b = try bind("dim=None, keepdim=False, dtype=None", args, callee: "Tensor.\(name)", at: e)
            return try reduceStack(xs, dim: dim, name, b, at: e)
        case .string(let s) where name == "format": return try formatMethod(s, args, at: e)
        default: throw fail("'\(receiver.typeName)' has no method '\(name)'", at: e, kind: .undefinedName)
        }
    }

    private func listMethod(_ box: ListBox, _ name: String, _ args: CallArguments, at e: Expr) throws -> Value {
        switch name {
        case "append":
            let b = try bind("object", args, callee: "list.append", at: e)
            guard box.items.count < Limits.collection else { throw tooLarge(at: e) }
            box.items.append(b["object"])
        case "extend":
            let b = try bind("iterable", args, callee: "list.extend", at: e)
            let more = try materialize(b["iterable"], at: e)
            guard box.items.count + more.count <= Limits.collection else { throw tooLarge(at: e) }
            box.items += more
        case "insert":
            let b = try bind("index, object", args, callee: "list.insert", at: e)
            guard case .int(let i) = b["index"] else { throw b.fail("index must be an integer", "index") }
            guard box.items.count < Limits.collection else { throw tooLarge(at: e) }
            try charge(box.items.count, at: e)
            let j = i < 0 ? max(0, i + box.items.count) : min(i, box.items.count)
            box.items.insert(b["object"], at: j)
        default:
            let b = try bind("index=-1", args, callee: "list.pop", at: e)
            guard case .int(let i) = b["index"], !box.items.isEmpty else { throw fail("pop from an empty list", at: e) }
            let j = i < 0 ? i + box.items.count : i
            guard j >= 0, j < box.items.count else { throw fail("pop index out of range", at: e) }
            try charge(box.items.count - j, at: e)
            return box.items.remove(at: j)
        }
        return .none
    }

    private func moduleMethod(_ m: ModuleBox, _ name: String, _ args: CallArguments, at e: Expr) throws -> Value {
        let callee = "\(m.typeName).\(name)"
        switch name {
        case "add_module", "register_module":
            let b = try bind("name, module", args, callee: callee, at: e)
            guard let key = b.string("name"), !key.isEmpty, !key.contains(".") else {
                throw b.fail("name must be a non-empty string without dots", "name")
            }
            try setAttribute(.module(m), key, b["module"], at: e)
        case "modules":
            let all = m.descendants()
            try charge(all.count, at: e)
            return .list(ListBox(all.map { .module($0) }))
        case "children": return .list(ListBox(m.orderedChildren.map { .module($0.1) }))
        case "named_children": return .list(ListBox(m.orderedChildren.map { .tuple([.string($0.0), .module($0.1)]) }))
        case "apply": return .module(m)
        case "parameters", "named_parameters": return .opaque
        case "keys", "values", "items":
            guard case .moduleDict = m.kind else { throw fail("\(callee) is not supported", at: e, kind: .unsupportedConstruct) }
            let children = m.orderedChildren
            return .list(ListBox(children.map {
                name == "keys" ? .string($0.0) : name == "values" ? .module($0.1) : .tuple([.string($0.0), .module($0.1)])
            }))
        case "append", "extend", "insert":
            guard m.isSequenceContainer else { throw fail("\(callee) is not supported", at: e, kind: .unsupportedConstruct) }
            let b = try bind(name == "append" ? "module" : name == "extend" ? "modules" : "index, module", args,
                             callee: callee, at: e)
            let added = try (name == "extend" ? try materialize(b["modules"], at: e) : [b["module"]]).map { v -> ModuleBox in
                guard case .module(let child) = v else { throw fail("\(callee) expects modules, got \(v.typeName)", at: e) }
                return child
            }
            guard name == "insert" else {
                for child in added { m.setChild(String(m.childCount), child) }
                return .module(m)
            }
            var list = m.orderedChildren.map(\.1)
            try charge(list.count, at: e)
            guard case .int(let i) = b["index"] else { throw b.fail("index must be an integer", "index") }
            list.insert(contentsOf: added, at: i < 0 ? max(0, i + list.count) : min(i, list.count))
            m.replaceChildren(list.enumerated().map { (String($0.offset), $0.element) })
            return .module(m)
        case "forward":
            return try callModule(m, args, at: e)
        case "__sequential_init__":
            try fillSequential(m, args, callee: "\(m.typeName).__init__", at: e)
        default:
            throw fail("\(callee) is not supported", at: e, kind: .unsupportedConstruct)
        }
        return .none
    }
}
