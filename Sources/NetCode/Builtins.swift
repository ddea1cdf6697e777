import Foundation

/// The Python built-in functions networks use to compute sizes and build layer lists, plus `super()`.
extension Interpreter {
    func callPythonBuiltin(_ q: String, _ args: CallArguments, at e: Expr) throws -> Value {
        let values = args.positional.map(\.value)
        func one() throws -> Value {
            guard values.count == 1, args.keywords.isEmpty else { throw fail("\(q)() takes exactly one argument", at: e, kind: .arguments) }
            return values[0]
        }
        switch q {
        case "range":
            guard (1...3).contains(values.count), args.keywords.isEmpty else { throw fail("range() takes 1 to 3 integers", at: e, kind: .arguments) }
            var ints: [Int] = []
            for v in values {
                guard case .int(let i) = v else { throw fail("range() arguments must be integers, got \(v.typeName)", at: e) }
                ints.append(i)
            }
            if ints.count == 1 { return .range(start: 0, stop: ints[0], step: 1) }
            let step = ints.count == 3 ? ints[2] : 1
            guard step != 0 else { throw fail("range() step must not be zero", at: e) }
            return .range(start: ints[0], stop: ints[1], step: step)
        case "len":
            let v = try one()
            if case .range(let a, let b, let c) = v, let n = Self.rangeCount(a, b, c) { return .int(n) }
            if case .string(let s) = v { return .int(s.count) }
            if case .module(let m) = v { return .int(m.orderedChildren.count) }
            return .int(try materialize(v, at: e).count)
        case "int":
            switch try one() {
            case .int(let i): return .int(i)
            case .bool(let b): return .int(b ? 1 : 0)
            case .float(let d):
                guard d.isFinite, abs(d) < 9.2e18 else { throw fail("cannot convert \(d) to an integer", at: e) }
                return .int(Int(d))
            case .string(let s):
                guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else { throw fail("invalid integer '\(s)'", at: e) }
                return .int(i)
            case let v: throw fail("int() cannot convert \(v.typeName)", at: e)
            }
        case "float":
            let v = try one()
            switch v {
            case .string(let s):
                guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { throw fail("invalid number '\(s)'", at: e) }
                return .float(d)
            case .int, .float, .bool: return .float(v.asDouble)
            default: throw fail("float() cannot convert \(v.typeName)", at: e)
            }
        case "bool": return .bool(values.isEmpty ? false : try truthy(try one(), at: e))
        case "str":
            return .string(try pythonString(try one(), at: e))
        case "abs":
            let v = try one()
            return try binary(.multiply, v, .int(v.asDouble < 0 ? -1 : 1), at: e)
        case "min", "max":
            guard args.keywords.isEmpty else { throw fail("\(q)() keyword arguments are not supported", at: e, kind: .unsupportedConstruct) }
            let items = values.count == 1 ? try materialize(values[0], at: e) : values
            guard var best = items.first else { throw fail("\(q)() of an empty sequence", at: e) }
            for v in items.dropFirst() where try compare(q == "min" ? .less : .greater, v, best, at: e) { best = v }
            return best
        case "sum":
            guard (1...2).contains(values.count) else { throw fail("sum() takes an iterable and an optional start", at: e) }
            var items = try materialize(values[0], at: e)[...]
            var total = values.count == 2 ? values[1] : .int(0)
            // 0 + tensor is the tensor: a sum of tensors starts from the first one.
            if values.count == 1, case .tensor? = items.first { total = items.removeFirst() }
            for v in items { total = try binary(.add, total, v, at: e) }
            return total
        case "round":
            guard (1...2).contains(values.count) else { throw fail("round() takes one or two arguments", at: e, kind: .arguments) }
            let x = values[0].asDouble
            if values.count == 2, case .int(let digits) = values[1] {
                let scale = pow(10, Double(digits))
                return .float((x * scale).rounded(.toNearestOrEven) / scale)
            }
            if case .int = values[0] { return values[0] }
            guard x.isFinite, abs(x) < 9.2e18 else { throw fail("cannot round \(values[0].typeName)", at: e) }
            return .int(Int(x.rounded(.toNearestOrEven)))
        case "list": return .list(ListBox(values.isEmpty ? [] : try materialize(try one(), at: e)))
        case "tuple": return .tuple(values.isEmpty ? [] : try materialize(try one(), at: e))
        case "dict", "collections.OrderedDict":
            let box = DictBox()
            if let source = values.first {
                if case .dict(let other) = source { for (k, v) in zip(other.keys, other.values) { box.set(k, v) } }
                else {
                    for pair in try materialize(source, at: e) {
                        guard let kv = pair.sequenceItems, kv.count == 2 else { throw fail("\(Value.display(q))() needs (key, value) pairs", at: e) }
                        box.set(kv[0], kv[1])
                    }
                }
            }
            for k in args.keywords { box.set(.string(k.name), k.value) }
            return .dict(box)
        case "enumerate":
            let b = try bind("iterable, start=0", args, callee: q, at: e)
            guard case .int(let start) = b["start"] else { throw b.fail("start must be an integer", "start") }
            return .list(ListBox(try materialize(b["iterable"], at: e).enumerated().map { .tuple([.int(start &+ $0.offset), $0.element]) }))
        case "zip":
            let lists = try values.map { try materialize($0, at: e) }
            let n = lists.map(\.count).min() ?? 0
            return .list(ListBox((0..<n).map { i in .tuple(lists.map { $0[i] }) }))
        case "reversed": return .list(ListBox(try materialize(try one(), at: e).reversed()))
        case "print": return .none
        case "isinstance":
            guard values.count == 2 else { throw fail("isinstance() takes two arguments", at: e, kind: .arguments) }
            return .bool(isInstance(values[0], values[1]))
        case "setattr":
            guard values.count == 3, case .string(let name) = values[1] else { throw fail("setattr() needs an object, a name and a value", at: e, kind: .arguments) }
            try setAttribute(values[0], name, values[2], at: e)
            return .none
        case "getattr", "hasattr":
            guard values.count >= 2, case .string(let name) = values[1] else { throw fail("\(q)() needs an object and a name", at: e) }
            do {
                let v = try attribute(values[0], name, at: e)
                return q == "hasattr" ? .bool(true) : v
            } catch let error as SourceError {
                if q == "hasattr" { return .bool(false) }
                if values.count == 3 { return values[2] }
                throw error
            }
        case "math.ceil", "math.floor":
            let x = try one().asDouble
            guard x.isFinite, abs(x) < 9.2e18 else { throw fail("\(q)() needs a finite number", at: e) }
            return .int(Int(q == "math.ceil" ? x.rounded(.up) : x.rounded(.down)))
        case "math.sqrt":
            return .float(try one().asDouble.squareRoot())
        default:
            throw fail("\(Value.display(q))() is not supported", at: e, kind: .unsupportedConstruct)
        }
    }

    func isInstance(_ object: Value, _ classInfo: Value) -> Bool {
        switch classInfo {
        case .tuple(let options): return options.contains { isInstance(object, $0) }
        case .userClass(let c):
            if case .module(let m) = object, case .user(let k) = m.kind { return k.inherits(from: c) }
            return false
        case .builtin(let q):
            switch (q, object) {
            case ("torch.nn.Module", .module): return true
            case (_, .module(let m)): return m.qualifiedType == q
            case ("int", .int), ("int", .bool), ("bool", .bool), ("float", .float), ("str", .string),
                 ("list", .list), ("tuple", .tuple), ("dict", .dict): return true
            default: return false
            }
        default: return false
        }
    }

    /// `super()` finds the defining class and `self` of the running method; `super(Cls, self)` names them.
    func makeSuper(_ args: CallArguments, _ scope: Scope, at e: Expr) throws -> Value {
        if args.positional.count == 2, case .userClass(let c) = args.positional[0].value,
           case .module(let m) = args.positional[1].value {
            return .superProxy(m, c)
        }
        guard args.isEmpty else { throw fail("super() takes no arguments or (Class, self)", at: e, kind: .arguments) }
        var current: Scope? = scope
        while let s = current, s.function == nil { current = s.parent }
        guard let function = current?.function, let owner = function.owner,
              let selfName = function.def.parameters.first?.name, case .module(let m)? = current?.vars[selfName] else {
            throw fail("super() is only supported inside methods of module classes", at: e)
        }
        return .superProxy(m, owner)
    }
}
