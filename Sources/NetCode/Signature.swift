import Foundation
import NetIR

/// A native callable's parameter list, written as in Python (`"kernel_size, stride=None, padding=0"`), so each
/// table entry reads like the PyTorch documentation it mirrors.
struct Signature: Sendable {
    enum Literal: Sendable { case none, bool(Bool), int(Int), float(Double), string(String) }

    let parameters: [(name: String, defaultValue: Literal?)]

    init(_ spec: String) {
        parameters = spec.split(separator: ",").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " ") }
            guard pieces.count == 2 else { return (pieces[0], nil) }
            let text = pieces[1]
            let literal: Literal
            switch text {
            case "None": literal = .none
            case "True": literal = .bool(true)
            case "False": literal = .bool(false)
            default:
                if text.hasPrefix("'") { literal = .string(String(text.dropFirst().dropLast())) }
                else if let i = Int(text) { literal = .int(i) }
                else { literal = .float(Double(text) ?? 0) }
            }
            return (pieces[0], literal)
        }
    }
}

/// Parsed inline signatures, shared by all parses (they are immutable once made).
final class SignatureCache: @unchecked Sendable {
    static let shared = SignatureCache()
    private let lock = NSLock()
    private var table: [String: Signature] = [:]

    func signature(_ spec: String) -> Signature {
        lock.lock()
        defer { lock.unlock() }
        if let cached = table[spec] { return cached }
        let made = Signature(spec)
        table[spec] = made
        return made
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

extension Signature.Literal {
    var value: Value {
        switch self {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .string(let s): return .string(s)
        }
    }
}

/// Arguments matched to a signature, with typed accessors whose errors point at the offending argument.
struct BoundArguments {
    let callee: String
    let call: Expr
    let file: String
    var values: [String: Value] = [:]
    var exprs: [String: Expr] = [:]

    subscript(name: String) -> Value { values[name] ?? .none }

    func fail(_ message: String, _ name: String, kind: SourceError.Kind = .arguments) -> SourceError {
        let e = exprs[name] ?? call
        return SourceError(location: SourceLocation(file: file, line: e.line, column: e.column), message: "\(callee)(): \(message)",
                           kind: kind, layer: callee)
    }

    func isNone(_ name: String) -> Bool { if case .none = self[name] { return true } else { return false } }

    /// An integer in `minimum...Limits.dimension`.
    func int(_ name: String, minimum: Int = 1) throws -> Int {
        let v = self[name]
        guard case .int(let i) = v else { throw fail("\(name) must be an integer, got \(v.typeName)", name) }
        guard i >= minimum else { throw fail("\(name) must be at least \(minimum), got \(i)", name) }
        guard i <= Limits.dimension else { throw fail("\(name)=\(i) is too large", name) }
        return i
    }

    /// An int or a pair of ints, as PyTorch's `_pair` accepts.
    func pair(_ name: String, minimum: Int = 1) throws -> Pair {
        if case .int = self[name] { return Pair(try int(name, minimum: minimum)) }
        switch self[name].sequenceItems {
        case let items? where items.count == 2:
            guard case .int(let h) = items[0], case .int(let w) = items[1] else {
                throw fail("\(name) must be an int or a pair of ints", name)
            }
            guard h >= minimum, w >= minimum else { throw fail("\(name) must be at least \(minimum), got (\(h), \(w))", name) }
            guard h <= Limits.dimension, w <= Limits.dimension else { throw fail("\(name)=(\(h), \(w)) is too large", name) }
            return Pair(h, w)
        default:
            throw fail("\(name) must be an int or a pair of ints, got \(self[name].typeName)", name)
        }
    }

    func bool(_ name: String) throws -> Bool {
        switch self[name] {
        case .bool(let b): return b
        case .int(let i) where i == 0 || i == 1: return i == 1
        case let v: throw fail("\(name) must be True or False, got \(v.typeName)", name)
        }
    }

    func float(_ name: String) throws -> Double {
        switch self[name] {
        case .int(let i): return Double(i)
        case .float(let d) where d.isFinite: return d
        case let v: throw fail("\(name) must be a finite number, got \(v.typeName)", name)
        }
    }

    func string(_ name: String) -> String? { if case .string(let s) = self[name] { return s } else { return nil } }

    /// Refuses any value but the default for options we do not model (`ceil_mode=True`, `return_indices=True`).
    func require(_ name: String, _ expected: Value, _ reason: String) throws {
        guard Value.identical(self[name], expected) else { throw fail(reason, name, kind: .unsupportedOption) }
    }
}

extension Interpreter {
    /// `bind` with a signature written inline; each distinct spec is parsed once per process.
    func bind(_ spec: String, _ args: CallArguments, callee: String, at e: Expr) throws -> BoundArguments {
        try bind(SignatureCache.shared.signature(spec), args, callee: callee, at: e)
    }

    /// Matches call arguments to a native signature the way Python does.
    func bind(_ signature: Signature, _ args: CallArguments, callee: String, at e: Expr) throws -> BoundArguments {
        var bound = BoundArguments(callee: callee, call: e, file: file)
        let params = signature.parameters
        guard args.positional.count <= params.count else {
            throw fail("\(callee)() takes at most \(params.count) positional arguments but \(args.positional.count) were given",
                       at: args.positional[params.count].expr)
        }
        for (p, arg) in zip(params, args.positional) { bound.values[p.name] = arg.value; bound.exprs[p.name] = arg.expr }
        for k in args.keywords {
            guard params.contains(where: { $0.name == k.name }) else {
                throw fail("\(callee)() got an unexpected keyword argument '\(k.name)'", at: k.expr)
            }
            guard bound.values[k.name] == nil else {
                throw fail("\(callee)() got multiple values for argument '\(k.name)'", at: k.expr)
            }
            bound.values[k.name] = k.value
            bound.exprs[k.name] = k.expr
        }
        for p in params where bound.values[p.name] == nil {
            guard let d = p.defaultValue else { throw fail("\(callee)() missing required argument '\(p.name)'", at: e) }
            bound.values[p.name] = d.value
        }
        return bound
    }
}
