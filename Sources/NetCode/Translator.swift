import NetIR

/// From the loaded source to a `ParsedNetwork`: choose the network class, instantiate it, name every module by
/// its `state_dict` path, run `forward` on the input, and report parameters of modules `forward` never calls.
extension Interpreter {
    func translate(_ c: ClassInfo, input: TensorShape) throws -> ParsedNetwork {
        let at = Expr(kind: .name(c.name), line: c.def.line, column: c.def.column, height: 1)
        guard c.isModule else { throw fail(c.problem ?? "class \(c.name) is not an nn.Module", at: at) }
        guard let forward = c.method("forward") else { throw fail("class \(c.name) has no forward() method", at: at, kind: .missingForward) }
        guard case .module(let root) = try instantiate(c, CallArguments(), at: at) else {
            throw fail("class \(c.name) did not produce a module", at: at)
        }
        guard root.nestingDepth <= Limits.moduleNesting else {
            throw fail("modules are nested more than \(Limits.moduleNesting) deep", at: at, kind: .limit)
        }
        let reserved = assignPaths(root)
        dummyBatch = nil
        graph = GraphState(input: input, reserved: reserved)
        let forwardAt = Expr(kind: .name("forward"), line: forward.def.line, column: forward.def.column, height: 1)
        var args = CallArguments()
        args.positional = [(.tensor(0), forwardAt)]
        let result = try callFunction(forward, self: .module(root), args, at: forwardAt)
        guard case .tensor(let output) = result, let state = graph else {
            if case .none = result { throw fail("forward() of \(c.name) returns nothing; it must return the output tensor", at: forwardAt, kind: .missingForward) }
            throw fail("forward() of \(c.name) must return one tensor, not \(result.typeName)", at: forwardAt, kind: .missingForward)
        }
        graph = nil
        let built: Graph
        do {
            built = Graph(inputShape: input, nodes: state.nodes, output: output)
            _ = try built.inferShapes()
        } catch let error as NetworkError {
            throw fail(error.description, at: forwardAt, kind: .shape, layer: error.layer)
        }
        return ParsedNetwork(graph: built, className: c.name, unusedParameters: unusedParameters(root))
    }

    /// Gives every module its dotted path (pre-order, first registration wins) and returns all paths.
    private func assignPaths(_ root: ModuleBox) -> Set<String> {
        var paths = Set<String>()
        root.path = nil
        var stack: [(ModuleBox, String)] = [(root, "")]
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        while let (box, prefix) = stack.popLast() {
            var next: [(ModuleBox, String)] = []
            for (name, child) in box.orderedChildren where visited.insert(ObjectIdentifier(child)).inserted {
                let path = prefix.isEmpty ? name : prefix + "." + name
                child.path = path
                paths.insert(path)
                next.append((child, path))
            }
            stack += next.reversed()
        }
        return paths
    }

    /// PyTorch counts every registered parameter, called or not; the graph only holds called ones.
    private func unusedParameters(_ root: ModuleBox) -> [ParameterSpec] {
        var nodes: [Node] = []
        for m in root.descendants() where !m.called {
            guard let leaf = m.leaf, let path = m.path, !leaf.layer.parameterShapes.isEmpty else { continue }
            nodes.append(Node(name: path, layer: leaf.layer, inputs: []))
        }
        // ParameterSpec has no public initializer; a throwaway graph yields the specs with PyTorch's names.
        return Graph(inputShape: TensorShape([1]), nodes: nodes, output: 0).parameters
    }

    /// The network class: `requested`, else `Net`, else the last module class no other class or function uses.
    func selectClass(_ requested: String?) throws -> ClassInfo {
        let start = SourceLocation(file: file, line: 1, column: 1)
        if let name = requested {
            guard let c = classes.last(where: { $0.name == name }) else {
                throw SourceError(location: start, message: "no class named '\(name)'", kind: .noNetwork)
            }
            return c
        }
        if let net = classes.last(where: { $0.name == "Net" && $0.isModule }) { return net }
        var usedByOthers = Set<String>()
        for c in classes {
            var names = Set<String>()
            NameCollector.collect(c.def.bases, into: &names)
            NameCollector.collect(c.def.body, into: &names)
            names.remove(c.name)
            usedByOthers.formUnion(names)
        }
        for case .function(let f) in globals.values.compactMap(\.value) {
            NameCollector.collect(f.def.body, into: &usedByOthers)
        }
        guard let c = classes.last(where: { $0.isModule && !usedByOthers.contains($0.name) }) ??
                classes.last(where: { $0.isModule }) else {
            throw SourceError(location: start, message: "no nn.Module subclass found", kind: .noNetwork)
        }
        return c
    }
}

/// Names a piece of syntax refers to (to tell helper blocks from the network class, and which statements depend
/// on a failed one in `Diagnostics`); attribute chains also give their dotted text (`self.conv`).
enum NameCollector {
    static func collect(_ stmts: [Stmt], into names: inout Set<String>) {
        for s in stmts {
            switch s.kind {
            case .expression(let e), .returnValue(let e?): collect([e], into: &names)
            case .assign(let targets, let value): collect(targets + [value], into: &names)
            case .augmentedAssign(let target, _, let value): collect([target, value], into: &names)
            case .annotated(let target, let value): collect([target] + (value.map { [$0] } ?? []), into: &names)
            case .functionDef(let f): collect(f.body, into: &names); collect(f.parameters.compactMap(\.defaultValue), into: &names)
            case .classDef(let c): collect(c.bases, into: &names); collect(c.body, into: &names)
            case .ifChain(let branches, let otherwise):
                for b in branches { collect([b.condition], into: &names); collect(b.body, into: &names) }
                collect(otherwise, into: &names)
            case .forLoop(let target, let iterable, let body, let otherwise):
                collect([target, iterable], into: &names); collect(body, into: &names); collect(otherwise, into: &names)
            case .whileLoop(let condition, let body, let otherwise):
                collect([condition], into: &names); collect(body, into: &names); collect(otherwise, into: &names)
            case .with(let contexts, let body):
                collect(contexts.flatMap { [$0.context] + ($0.target.map { [$0] } ?? []) }, into: &names); collect(body, into: &names)
            default: break
            }
        }
    }

    static func collect(_ exprs: [Expr], into names: inout Set<String>) {
        for e in exprs {
            switch e.kind {
            case .name(let n): names.insert(n)
            case .attribute(let base, let name):
                if let d = dotted(base) { names.insert(d + "." + name) }
                collect([base], into: &names)
            case .starred(let base), .unary(_, let base): collect([base], into: &names)
            case .call(let f, let args): collect([f] + args.map(\.value), into: &names)
            case .index(let a, let b), .binary(_, let a, let b): collect([a, b], into: &names)
            case .slice(let a, let b, let c): collect([a, b, c].compactMap { $0 }, into: &names)
            case .tuple(let items), .list(let items), .boolean(_, let items): collect(items, into: &names)
            case .dict(let entries): collect(entries.flatMap { [$0.key, $0.value] }, into: &names)
            case .compare(let first, let rest): collect([first] + rest.map(\.right), into: &names)
            case .conditional(let c, let t, let o): collect([c, t, o], into: &names)
            case .lambda(let f): collect(f.body, into: &names)
            case .comprehension(let element, let clauses):
                collect([element] + clauses.flatMap { [$0.target, $0.iterable] + $0.conditions }, into: &names)
            default: break
            }
        }
    }

    static func dotted(_ e: Expr) -> String? {
        switch e.kind {
        case .name(let n): return n
        case .attribute(let base, let name): return dotted(base).map { "\($0).\(name)" }
        default: return nil
        }
    }
}
