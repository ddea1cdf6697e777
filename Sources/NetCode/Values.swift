import NetIR

/// A value of the static interpreter. Python objects we can reason about without running PyTorch: constants,
/// containers, classes and functions of the source, module instances, and symbolic tensors (graph nodes).
/// Only `method` holds a Value inline and is boxed; the other cases stay unboxed, which matters for speed.
enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case tuple([Value])
    case list(ListBox)
    case dict(DictBox)
    case range(start: Int, stop: Int, step: Int)
    case slice(Int?, Int?, Int?)
    /// An imported module such as `torch.nn`, by its full dotted path.
    case namespace(String)
    /// Something we implement natively, by full dotted path: `torch.nn.Conv2d`, `torch.flatten`, `range`.
    case builtin(String)
    case userClass(ClassInfo)
    case function(FunctionInfo)
    case boundMethod(ModuleBox, FunctionInfo)
    /// A native method bound to its receiver: `layers.append`, `x.view`, `self.add_module`.
    indirect case method(Value, String)
    /// `super()`: attribute lookups start in the base of `ClassInfo`.
    case superProxy(ModuleBox, ClassInfo)
    case module(ModuleBox)
    /// A graph node's output, by node index.
    case tensor(Int)
    /// `x.size(0)`: the batch dimension, meaningful only as the first argument of `view`/`reshape`.
    case batch
    /// `self.training`: only meaningful as the `training=` argument of `F.dropout`.
    case training
    /// Weight tensors and similar (`m.weight` in `nn.init` calls): every use of them is a no-op.
    case opaque
    /// `torch.stack(tensors, dim)`: only reducing it over `dim` (`.sum`, `.mean`) is supported (`StackAndSum`).
    case stacked([Int], dim: Int)
    /// `y.expand_as(x)` (`y` of another shape): only an operand of arithmetic with a tensor of shape `to`.
    case expanded(Int, to: TensorShape)

    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .range: return "range"
        case .slice: return "slice"
        case .namespace(let n): return "module '\(n)'"
        case .builtin(let n): return Value.display(n)
        case .userClass(let c): return "class \(c.name)"
        case .function(let f): return "function \(f.def.name)"
        case .boundMethod(_, let f): return "method \(f.def.name)"
        case .method(_, let n): return "method \(n)"
        case .superProxy: return "super()"
        case .module(let m): return m.typeName
        case .tensor: return "Tensor"
        case .batch: return "batch size"
        case .training: return "self.training"
        case .opaque: return "parameter"
        case .stacked: return "Tensor (stacked)"
        case .expanded: return "Tensor (expanded)"
        }
    }

    /// Items of a tuple or list.
    var sequenceItems: [Value]? {
        switch self {
        case .tuple(let items): return items
        case .list(let box): return box.items
        default: return nil
        }
    }

    /// `torch.nn.Conv2d` reads as `nn.Conv2d`, `torch.nn.functional.relu` as `F.relu`.
    static func display(_ qualified: String) -> String {
        if qualified.hasPrefix("torch.nn.functional.") { return "F." + qualified.dropFirst(20) }
        if qualified.hasPrefix("torch.nn.") { return "nn." + qualified.dropFirst(9) }
        return qualified
    }
}

final class ListBox {
    var items: [Value]
    init(_ items: [Value]) { self.items = items }
}

/// Insertion-ordered dictionary (Python dicts keep order; `OrderedDict` of layers relies on it).
final class DictBox {
    var keys: [Value] = []
    var values: [Value] = []
    init() {}

    func index(of key: Value) -> Int? { keys.firstIndex { Value.identical($0, key) } }

    func set(_ key: Value, _ value: Value) {
        if let i = index(of: key) { values[i] = value } else { keys.append(key); values.append(value) }
    }
}

extension Value {
    /// Equality for dict keys and `==` on constants; objects compare by identity. Containers nested deeper than
    /// 100 levels (or containing each other) compare unequal rather than recursing without end.
    static func identical(_ a: Value, _ b: Value, depth: Int = 0) -> Bool {
        guard depth < 100 else { return false }
        func same(_ x: [Value], _ y: [Value]) -> Bool {
            x.count == y.count && zip(x, y).allSatisfy { identical($0, $1, depth: depth + 1) }
        }
        switch (a, b) {
        case (.none, .none), (.batch, .batch), (.training, .training): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.int(let x), .float(let y)), (.float(let y), .int(let x)): return Double(x) == y
        case (.bool(let x), .int(let y)), (.int(let y), .bool(let x)): return (x ? 1 : 0) == y
        case (.string(let x), .string(let y)): return x == y
        case (.tuple(let x), .tuple(let y)): return same(x, y)
        case (.list(let x), .list(let y)): return x === y || same(x.items, y.items)
        case (.module(let x), .module(let y)): return x === y
        case (.userClass(let x), .userClass(let y)): return x === y
        case (.builtin(let x), .builtin(let y)), (.namespace(let x), .namespace(let y)): return x == y
        case (.tensor(let x), .tensor(let y)): return x == y
        default: return false
        }
    }
}

/// A class defined in the source. Methods and class attributes are looked up along the (single) base chain.
final class ClassInfo {
    let def: ClassDef
    let base: ClassInfo?
    let isModule: Bool
    /// Derives from `nn.Sequential`: `super().__init__(*layers)` registers children and the default forward
    /// runs them in order.
    let isSequential: Bool
    /// Why this class cannot be instantiated as a module, if it cannot.
    let problem: String?
    private(set) var methods: [String: FunctionInfo] = [:]
    private(set) var attributes: [String: Expr] = [:]
    /// Class-level assignments in body order, evaluated together on first use as the class body would be.
    private(set) var assignments: [(name: String, value: Expr)] = []
    var attributeValues: [String: Result<Value, SourceError>]?
    var evaluatingAttributes = false

    var name: String { def.name }

    init(def: ClassDef, base: ClassInfo?, isModule: Bool, isSequential: Bool, problem: String?) {
        self.def = def; self.base = base; self.isModule = isModule; self.isSequential = isSequential; self.problem = problem
        for stmt in def.body {
            switch stmt.kind {
            case .functionDef(let f): methods[f.name] = FunctionInfo(def: f, owner: self)
            case .assign(let targets, let value):
                for case .name(let n) in targets.map(\.kind) { attributes[n] = value; assignments.append((n, value)) }
            case .annotated(let target, let value?):
                if case .name(let n) = target.kind { attributes[n] = value; assignments.append((n, value)) }
            default: break
            }
        }
    }

    func method(_ name: String) -> FunctionInfo? { methods[name] ?? base?.method(name) }

    /// The class (this or a base) that defines class attribute `name`, and its expression.
    func attribute(_ name: String) -> (ClassInfo, Expr)? {
        if let e = attributes[name] { return (self, e) }
        return base?.attribute(name)
    }

    func inherits(from other: ClassInfo) -> Bool { self === other || (base?.inherits(from: other) ?? false) }
}

final class FunctionInfo {
    let def: FunctionDef
    /// The class whose body defines the function (for `super()`), nil for top-level functions.
    let owner: ClassInfo?
    /// The scope a nested function was defined in (nil at top level and for methods).
    let closure: Scope?
    init(def: FunctionDef, owner: ClassInfo?, closure: Scope? = nil) { self.def = def; self.owner = owner; self.closure = closure }
}

/// A `torch.nn` layer module as constructed in `__init__`.
struct LeafLayer {
    var layer: Layer
    /// Softmax/LogSoftmax `dim` as written (nil: PyTorch's implicit choice).
    var dim: Int?
    /// Name stem for functional use, e.g. `relu` for an unregistered `nn.ReLU()` called inline.
    var functionalName: String
    /// Conv2d with padding_mode 'reflect'/'replicate': the Pad node that runs before it (its own padding is 0).
    var border: PadAttributes? = nil
}

/// An `nn.Module` instance: a layer, a container, or an instance of a class from the source.
final class ModuleBox {
    enum Kind {
        case leaf(LeafLayer)
        case sequential
        case moduleList
        case moduleDict
        case user(ClassInfo)
    }

    private(set) var kind: Kind
    /// A lazy module (`nn.LazyLinear`) not yet called: the argument of its concrete layer (`in_features`) that
    /// its first input sets (see `LazyModules`). Nil for every other module and once resolved.
    var lazyInput: String?
    /// Full dotted type: `torch.nn.Conv2d`, or the class name for classes from the source.
    let qualifiedType: String
    /// Where the module was constructed.
    let location: SourceLocation
    private(set) var childNames: [String] = []
    private(set) var children: [String: ModuleBox] = [:]
    var attributes: [String: Value] = [:]
    /// The `state_dict` prefix, assigned once the root is built (first registration wins, as in PyTorch).
    var path: String?
    var called = false

    init(kind: Kind, qualifiedType: String, location: SourceLocation) {
        self.kind = kind; self.qualifiedType = qualifiedType; self.location = location
    }

    var typeName: String { Value.display(qualifiedType) }

    /// A lazy module's concrete layer, set on its first call.
    func resolve(_ leaf: LeafLayer) {
        kind = .leaf(leaf)
        lazyInput = nil
    }

    var leaf: LeafLayer? { if case .leaf(let l) = kind { return l } else { return nil } }

    /// `nn.Sequential` or a class derived from it.
    var isSequential: Bool {
        switch kind {
        case .sequential: return true
        case .user(let c): return c.isSequential
        default: return false
        }
    }

    /// Containers whose children are iterated and indexed by position.
    var isSequenceContainer: Bool {
        if case .moduleList = kind { return true }
        return isSequential
    }

    /// Registers or replaces a child; a replaced child keeps its position, like assignment into a Python dict.
    func setChild(_ name: String, _ child: ModuleBox) {
        if children.updateValue(child, forKey: name) == nil { childNames.append(name) }
        attributes[name] = nil
    }

    func replaceChildren(_ list: [(String, ModuleBox)]) {
        childNames = []
        children = [:]
        for (name, child) in list { setChild(name, child) }
    }

    func removeChild(_ name: String) {
        guard children.removeValue(forKey: name) != nil else { return }
        childNames.removeAll { $0 == name }
    }

    /// Depth of the deepest descendant (1 for a module without children), without recursion.
    var nestingDepth: Int {
        var deepest = 0
        var seen = Set<ObjectIdentifier>()
        var stack: [(ModuleBox, Int)] = [(self, 1)]
        while let (m, d) = stack.popLast() {
            guard seen.insert(ObjectIdentifier(m)).inserted else { continue }
            deepest = max(deepest, d)
            stack += m.orderedChildren.map { ($0.1, d + 1) }
        }
        return deepest
    }

    var childCount: Int { childNames.count }

    var orderedChildren: [(String, ModuleBox)] { childNames.compactMap { n in children[n].map { (n, $0) } } }

    /// This module and every descendant, each once, depth first (`nn.Module.modules()`).
    func descendants() -> [ModuleBox] {
        var seen = Set<ObjectIdentifier>()
        var result: [ModuleBox] = []
        var stack: [ModuleBox] = [self]
        while let m = stack.popLast() {
            guard seen.insert(ObjectIdentifier(m)).inserted else { continue }
            result.append(m)
            stack += m.orderedChildren.map(\.1).reversed()
        }
        return result
    }
}
