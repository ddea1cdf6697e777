/// A network's identity as a computation, for recognising a child that repeats a network already made.
///
/// Merkle-style: a node's digest covers its layer (kind and every attribute) and the digests of its inputs, so
/// node and module names, the order of `__init__`, the order in which independent branches run in `forward`,
/// and source formatting do not count; the input shape, the wiring and each layer's attributes do. Within
/// that: the inputs of an `Add` are sorted (addition commutes, concatenation does not), an `Identity` is its
/// input, nodes that never reach the output are left out, and modules called more than once (shared
/// parameters) add which of their calls share. The digest is FNV-1a 64 over that text: stable across runs,
/// machines and processes (unlike Swift's seeded `Hasher`), and collisions among the few thousand networks
/// of one search are vanishingly unlikely.
extension Graph {
    /// `s1-` followed by 16 hex digits. The prefix versions the scheme so a stored digest is never compared
    /// with one made by a different rule.
    public var structuralHash: String {
        var digests = [UInt64](repeating: 0, count: nodes.count)
        let live = self.live
        var shared: [String: [UInt64]] = [:]
        for (i, node) in nodes.enumerated() where live[i] {
            var ins = node.inputs.map { digests[$0] }
            switch node.layer {
            case .identity where ins.count == 1:
                digests[i] = ins[0]
                continue
            case .add:
                ins.sort()
            default:
                break
            }
            let text = i == 0 ? "input \(inputShape.dims)" : "\(node.layer) <- \(ins.map(Self.hex))"
            digests[i] = FNV1a.digest(text)
            if node.layer.isWeighted || node.layer.typeName.hasPrefix("BatchNorm") {
                shared[node.module, default: []].append(digests[i])
            }
        }
        let sharing = shared.values.filter { $0.count > 1 }.map { "\($0.sorted().map(Self.hex))" }.sorted()
        let text = "output \(Self.hex(output < digests.count ? digests[output] : 0)) shared \(sharing)"

        return "s1-" + Self.hex(FNV1a.digest(text))
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// FNV-1a, 64-bit: a tiny, fixed, well-known string hash.
enum FNV1a {
    static func digest(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }
}
