import NetIR

/// The other size a model gets wrong without ambiguity: the last Linear's out_features, which must be the class
/// count (`the network outputs 512, the data has 10 classes`). Only when the output comes from one Linear,
/// possibly followed by layers that keep the shape (activation, dropout, identity, softmax), and that Linear's
/// module is called once.
public enum OutputRepair {
    /// The graph with that Linear set to `classes` outputs and a description of the change, or nil.
    public static func repaired(_ graph: Graph, classes: Int) -> (Graph, String)? {
        var i = graph.output
        while i > 0, i < graph.nodes.count {
            let node = graph.nodes[i]
            switch node.layer {
            case .activation, .dropout, .identity, .softmax, .logSoftmax:
                guard node.inputs.count == 1 else { return nil }
                i = node.inputs[0]
            case .linear(let inFeatures, let outFeatures, let bias):
                guard outFeatures != classes, graph.nodes.filter({ $0.module == node.module }).count == 1 else { return nil }
                var g = graph
                g.nodes[i].layer = .linear(inFeatures: inFeatures, outFeatures: classes, bias: bias)
                guard (try? g.inferShapes()) != nil else { return nil }
                let at = node.location.map { "\($0): " } ?? ""
                return (g, "\(at)\(node.module) = Linear(out_features=\(outFeatures) -> \(classes))")
            default:
                return nil
            }
        }
        return nil
    }
}
