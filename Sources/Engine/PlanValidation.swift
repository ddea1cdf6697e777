/// Checks that a program's arena placement is sound: every arena read sees exactly the value the program last
/// wrote to that same tensor, never bytes a tensor sharing its memory wrote since. Used by tests and `--verify`.
extension Plan {
    public struct DataflowError: Error, CustomStringConvertible {
        public var instruction: Int
        public var message: String
        public var description: String { "instruction \(instruction): \(message)" }
    }

    public func validateDataflow() throws {
        try Self.validate(trainProgram, arenaCount: arenaCount)
        try Self.validate(evalProgram, arenaCount: arenaCount)
    }

    static func validate(_ program: [Instruction], arenaCount: Int) throws {
        // stamp[e] = (instruction, output offset, output count) that last wrote element e.
        var stamp = [Int](repeating: -1, count: arenaCount)
        var writers: [(offset: Int, count: Int)] = []
        func check(_ t: TensorRef, _ k: Int, _ ins: Instruction, _ role: String) throws {
            guard t.end <= arenaCount else {
                throw DataflowError(instruction: k, message: "\(ins.node): \(role) \(t) is outside the arena (\(arenaCount))")
            }
            guard t.count > 0 else { return }
            let s = stamp[t.offset]
            guard s >= 0, writers[s] == (t.offset, t.count),
                  stamp[t.offset..<t.end].allSatisfy({ $0 == s }) else {
                throw DataflowError(instruction: k, message: "\(ins.node): \(ins.opName) \(role) \(t) was not written as a whole or was overwritten by another tensor")
            }
        }
        for (k, ins) in program.enumerated() {
            for t in ins.inputs where t.region == .arena { try check(t, k, ins, "reads") }
            for t in ins.outputs where t.region == .arena && Self.accumulates(ins, t) {
                try check(t, k, ins, "accumulates into")
            }
            for (o, t) in ins.outputs.enumerated() where t.region == .arena {
                for other in ins.inputs + ins.outputs.enumerated().filter({ $0.offset != o }).map(\.element)
                where other.region == .arena && other.offset < t.end && t.offset < other.end && other != t {
                    throw DataflowError(instruction: k, message: "\(ins.node): output \(t) overlaps operand \(other)")
                }
                writers.append((t.offset, t.count))
                for e in t.offset..<t.end { stamp[e] = writers.count - 1 }
            }
        }
    }

    /// Whether `accumulate` makes this output read-modify-write (parameter gradients are not in the arena).
    static func accumulates(_ ins: Instruction, _ t: TensorRef) -> Bool {
        switch ins.op {
        case .concatBackward(_, let flags):
            guard let i = ins.outputs.firstIndex(of: t) else { return false }
            return flags[i]
        default:
            return ins.accumulate
        }
    }
}
