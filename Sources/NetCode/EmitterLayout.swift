import NetIR

/// Where each module of a graph lives in the emitted class. Dotted module paths become nested containers so
/// that PyTorch's `state_dict` names come out unchanged: children named `0..n-1` form an `nn.ModuleList`, other
/// names an `nn.ModuleDict` (`layer1.0.conv1` is `self.layer1[0]["conv1"]`). A name PyTorch would refuse
/// (one that clashes with an `nn.Module` attribute such as `forward`) gets a trailing underscore; if the paths
/// do not form a tree (a layer that is also a container) every module falls back to a flat attribute with dots
/// replaced by underscores. Those two cases are the only ones where emitted `state_dict` names differ.
struct EmitterLayout {
    final class Entry {
        var children: [(key: String, entry: Entry)] = []
        var layer: Layer?
        func child(_ key: String) -> Entry? { children.first { $0.key == key }?.entry }
    }

    /// Python expression for each module path, e.g. `self.layer1[0]["conv1"]`.
    private(set) var references: [String: String] = [:]
    /// Top-level attributes in registration order: the Python name, how to register it and the tree below.
    private(set) var attributes: [(name: String, entry: Entry)] = []

    static let reserved: Set<String> = [
        "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile", "cpu",
        "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state",
        "get_parameter", "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers",
        "named_children", "named_modules", "named_parameters", "parameters", "register_backward_hook",
        "register_buffer", "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
        "register_full_backward_pre_hook", "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
        "register_module", "register_parameter", "register_state_dict_post_hook", "register_state_dict_pre_hook",
        "requires_grad_", "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train",
        "type", "xpu", "zero_grad", "training", "_parameters", "_buffers", "_modules", "_version", "_apply",
        "_call_impl", "_get_name", "_named_members", "_save_to_state_dict", "_load_from_state_dict", "_slow_forward",
    ]
    /// ModuleDict keys that clash with its own methods.
    static let reservedKeys: Set<String> = reserved.union(["clear", "items", "keys", "pop", "update", "values"])

    /// `modules`: (path, layer) in registration order, each path once.
    init(modules: [(path: String, layer: Layer)]) {
        let root = Entry()
        if !Self.buildTree(root, modules) {
            root.children = []
            var used = Set<String>()
            for (path, layer) in modules {
                var name = path.replacingOccurrences(of: ".", with: "_")
                if name.isEmpty || name.first?.isNumber == true { name = "m_" + name }
                while used.contains(name) || Self.reserved.contains(name) { name += "_" }
                used.insert(name)
                let entry = Entry()
                entry.layer = layer
                root.children.append((name, entry))
                references[path] = Self.attributeReference(name)
            }
            attributes = root.children.map { ($0.key, $0.entry) }
            return
        }
        var renamed: [ObjectIdentifier: String] = [:]
        for (key, entry) in root.children {
            var name = key
            while Self.reserved.contains(name) || root.children.contains(where: { $0.key == name && $0.entry !== entry }) {
                name += "_"
            }
            renamed[ObjectIdentifier(entry)] = name
            attributes.append((name, entry))
        }
        for (path, _) in modules {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            var entry = root
            var reference = ""
            for (depth, part) in parts.enumerated() {
                guard let next = entry.child(part) else { break }
                if depth == 0 {
                    reference = Self.attributeReference(renamed[ObjectIdentifier(next)] ?? part)
                } else if entry.isList {
                    reference += "[\(part)]"
                } else {
                    reference += "[\"\(Self.dictKey(part, in: entry))\"]"
                }
                entry = next
            }
            references[path] = reference
        }
    }

    /// Inserts every path; false when they do not form a tree of valid names.
    private static func buildTree(_ root: Entry, _ modules: [(path: String, layer: Layer)]) -> Bool {
        for (path, layer) in modules {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !parts.contains(where: \.isEmpty) else { return false }
            var entry = root
            for part in parts {
                if entry.layer != nil { return false }
                if let next = entry.child(part) { entry = next; continue }
                let next = Entry()
                entry.children.append((part, next))
                entry = next
            }
            guard entry.layer == nil, entry.children.isEmpty else { return false }
            entry.layer = layer
        }
        return true
    }

    /// `self.name` for identifiers, `getattr(self, "0")` for names Python cannot spell as attributes.
    static func attributeReference(_ name: String) -> String {
        PythonSyntax.isValidIdentifier(name) ? "self.\(name)" : "getattr(self, \"\(name)\")"
    }

    static func dictKey(_ key: String, in container: Entry) -> String {
        var name = key
        while reservedKeys.contains(name) || (name != key && container.child(name) != nil) { name += "_" }
        return name
    }
}

extension EmitterLayout.Entry {
    /// Children named exactly `0`, `1`, ..., `n-1` (in any order) become an `nn.ModuleList`.
    var isList: Bool {
        let keys = Set(children.map(\.key))
        return !children.isEmpty && keys.count == children.count && (0..<children.count).allSatisfy { keys.contains(String($0)) }
    }

    /// Children in list order for ModuleLists, registration order otherwise.
    var orderedChildren: [(key: String, entry: EmitterLayout.Entry)] {
        isList ? children.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) } : children
    }
}
