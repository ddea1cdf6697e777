/// Syntax tree of the Python subset. Every node keeps its source position (1-based) for error messages.

enum BinaryOp: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    case matmul = "@", bitAnd = "&", bitOr = "|", bitXor = "^", shiftLeft = "<<", shiftRight = ">>"
}

enum UnaryOp: String, Sendable { case negate = "-", plus = "+", invert = "~", not = "not" }

enum CompareOp: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case isSame = "is", isNot = "is not", contains = "in", notContains = "not in"
}

struct Expr: Sendable {
    var kind: ExprKind
    var line: Int
    var column: Int
    /// Depth of this subtree; the parser refuses trees deeper than `Limits.expressionDepth` so that evaluating
    /// (and freeing) them cannot exhaust the stack.
    var height: Int
}

/// A call argument: positional, `name=value`, `*iterable` (stars 1) or `**mapping` (stars 2).
struct Argument: Sendable {
    var name: String?
    var value: Expr
    var stars: Int
}

struct ComprehensionClause: Sendable {
    var target: Expr
    var iterable: Expr
    var conditions: [Expr]
}

indirect enum ExprKind: Sendable {
    case name(String)
    case int(Int)
    case float(Double)
    case string(String)
    /// f-string: kept as text; evaluating one with `{...}` fields is refused.
    case formatted(String)
    case bool(Bool)
    case none
    case ellipsis
    case attribute(Expr, String)
    case call(Expr, [Argument])
    case index(Expr, Expr)
    case slice(Expr?, Expr?, Expr?)
    case tuple([Expr])
    case list([Expr])
    case dict([(key: Expr, value: Expr)])
    case starred(Expr)
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    case compare(Expr, [(op: CompareOp, right: Expr)])
    case boolean(isAnd: Bool, [Expr])
    case conditional(condition: Expr, then: Expr, otherwise: Expr)
    case comprehension(element: Expr, clauses: [ComprehensionClause])
    /// `lambda a, b=1: expr`, as a function whose body returns `expr`.
    case lambda(FunctionDef)
}

struct Parameter: Sendable {
    enum Kind: Sendable { case normal, variadic, keywords }
    var name: String
    var defaultValue: Expr?
    var kind: Kind
    var keywordOnly: Bool
}

final class FunctionDef: Sendable {
    let name: String
    let parameters: [Parameter]
    let body: [Stmt]
    /// Decorated with anything but `@staticmethod` (refused when called).
    let decorated: Bool
    /// `@staticmethod`: called without `self`, also through an instance.
    let isStatic: Bool
    let line: Int
    let column: Int

    init(name: String, parameters: [Parameter], body: [Stmt], decorated: Bool, isStatic: Bool = false, line: Int, column: Int) {
        self.name = name; self.parameters = parameters; self.body = body; self.decorated = decorated
        self.isStatic = isStatic; self.line = line; self.column = column
    }
}

final class ClassDef: Sendable {
    let name: String
    let bases: [Expr]
    let body: [Stmt]
    let line: Int
    let column: Int

    init(name: String, bases: [Expr], body: [Stmt], line: Int, column: Int) {
        self.name = name; self.bases = bases; self.body = body; self.line = line; self.column = column
    }
}

struct Stmt: Sendable {
    var kind: StmtKind
    var line: Int
    var column: Int
}

struct ImportedName: Sendable {
    var name: String
    var alias: String?
}

indirect enum StmtKind: Sendable {
    case expression(Expr)
    /// `a = b = value`: every target receives the value.
    case assign(targets: [Expr], value: Expr)
    case augmentedAssign(target: Expr, op: BinaryOp, value: Expr)
    /// `x: int = 3`; the annotation is never evaluated.
    case annotated(target: Expr, value: Expr?)
    case pass
    case breakLoop
    case continueLoop
    case returnValue(Expr?)
    case importModules([ImportedName])
    case importFrom(module: String, names: [ImportedName])
    case classDef(ClassDef)
    case functionDef(FunctionDef)
    case ifChain(branches: [(condition: Expr, body: [Stmt])], otherwise: [Stmt])
    case forLoop(target: Expr, iterable: Expr, body: [Stmt], otherwise: [Stmt])
    case whileLoop(condition: Expr, body: [Stmt], otherwise: [Stmt])
    /// `with a, b as c:`; only gradient-mode contexts (`torch.no_grad()`) run, see `exec`.
    case with(contexts: [(context: Expr, target: Expr?)], body: [Stmt])
    /// Parsed so that surrounding code reads, but never executed inside a network (`while`, `with`, `try`,
    /// `raise`, `del`, `assert`, `global`): the payload names the construct for the error message.
    case unsupported(String)
}
