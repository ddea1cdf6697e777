// The reference backend against PyTorch, once, for every row of the op table (Tests/OpTable): the row's graph is
// emitted as PyTorch source, loaded with the same weights and running statistics (`strict=True`), run in float64
// on the same input and labels, and its logits, loss, every parameter gradient and the updated running statistics
// are compared with one reference train step. Skips (saying so) without python3 + torch + safetensors.
import Engine
import Foundation
import NetCode
import NetIR
import PythonSupport
import OpTable
import ReferenceBackend
import XCTest
@testable import Train

final class ReferencePyTorchTests: XCTestCase {
    /// Given a JSON list of rows, prints one JSON list of {what: normalised error} (see `Tolerance`), PyTorch in
    /// float64 as the judge; one process for all rows (importing torch takes seconds).
    static let snippet = #"""
    import runpy, sys, json, math
    import torch
    import torch.nn.functional as F
    from safetensors.torch import load_file
    def error(a, b):
        a = a.reshape(b.shape)
        if not torch.isfinite(a).all(): return math.inf
        return ((a - b).abs().max() / max(1.0, b.abs().max().item())).item() if b.numel() else 0.0
    def check(source, weights, ours, inputs, dims, labels, smoothing):
        model = runpy.run_path(source)["Net"]()
        model.load_state_dict(load_file(weights), strict=True)
        model = model.double()
        model.train()
        ours = {k: v.double() for k, v in load_file(ours).items()}
        x = torch.frombuffer(bytearray(open(inputs, "rb").read()), dtype=torch.float32)
        x = x.reshape(-1, *dims).double()
        y = torch.tensor(labels)
        logits = model(x).reshape(x.shape[0], -1)
        loss = F.cross_entropy(logits, y, ignore_index=-1, label_smoothing=smoothing)
        out = {"logits": error(ours["logits"], logits.detach()), "loss": error(ours["loss"], loss.detach().reshape(1))}
        loss.backward()
        for name, p in model.named_parameters():
            grad = p.grad if p.grad is not None else torch.zeros_like(p)
            out["gradient of " + name] = error(ours["grad." + name], grad)
        state = model.state_dict()
        for key in ours:
            if key.startswith("after."):
                out["updated " + key[6:]] = error(ours[key], state[key[6:]].double())
        return out
    results = []
    for job in json.load(open(sys.argv[1])):
        try:
            results.append(check(**job))
        except Exception as e:
            results.append({"failure": repr(e)})
    print(json.dumps(results))
    """#

    /// The row's graph with every mask-drawing layer at p = 0: PyTorch's generator is not ours, so the masks
    /// themselves cannot be compared (EngineTests and the backends' bit-for-bit mask checks hold them); at p = 0
    /// both sides pass values through, and the ops around them are still compared forward and backward.
    static func withoutMasks(_ graph: Graph) -> Graph {
        var g = graph
        for k in g.nodes.indices {
            switch g.nodes[k].layer {
            case .dropout: g.nodes[k].layer = .dropout(p: 0)
            case .dropout2d: g.nodes[k].layer = .dropout2d(p: 0)
            case .alphaDropout(_, let feature): g.nodes[k].layer = .alphaDropout(p: 0, feature: feature)
            default: break
            }
        }
        return g
    }

    func testEveryOpOfTheTableAgreesWithPyTorch() throws {
        try PyTorchLogitsCheck.requirePyTorch()
        let folder = try makeScratchDirectory(self)
        let bound = Tolerances.referenceAgainstPyTorch
        var jobs: [[String: Any]] = []
        var expected: [(String, Int)] = []
        for (k, row) in try OpTable.all().enumerated() {
            // PyTorch refuses batch-norm training with one value per channel (batchNorm1d at batch 1); the reference's
            // m = 1 rule is held by EngineTests, so every row runs here at batch 2 or more.
            let batch = max(row.batches.max() ?? 1, 2)
            let graph = Self.withoutMasks(row.graph)
            let plan = try PlanCompiler.compile(graph, options: PlanOptions(
                batchSize: batch, optimizer: .sgd(momentum: 0, nesterov: false, weightDecay: 0), labelSmoothing: row.smoothing))
            let state = ExecutorState(plan: plan, seed: UInt64(100 + k))
            let reference = try ReferenceBackend().load(plan)
            state.apply(to: reference)
            reference.step = 0
            reference.trainStep(learningRate: 0)
            let metrics = reference.takeMetrics()
            let parameters = state.regions[.parameters] ?? [], buffers = state.regions[.buffers] ?? []
            let weights = "\(folder)/\(k).safetensors", ours = "\(folder)/\(k).ours.safetensors"
            let source = "\(folder)/\(k).py", inputs = "\(folder)/\(k).bin"
            try SafetensorsFile(tensors: plan.stateDict(parameters: parameters, buffers: buffers, batchesTracked: 0),
                                metadata: ["format": "pt"]).write(to: weights)
            var results = [SafetensorsTensor(name: "logits", shape: [reference.outputs().count], floats: reference.outputs()),
                           SafetensorsTensor(name: "loss", shape: [1], floats: [Float(metrics.lossSum / max(metrics.samples, 1))])]
            let gradients = plan.stateDict(parameters: reference.read(.gradients), buffers: reference.read(.buffers), batchesTracked: 0)
            let slots = Set(plan.parameterSlots.map(\.name)), stats = Set(plan.bufferSlots.map(\.name))
            for t in gradients where slots.contains(t.name) || stats.contains(t.name) {
                results.append(SafetensorsTensor(name: (slots.contains(t.name) ? "grad." : "after.") + t.name, dtype: t.dtype,
                                                 shape: t.shape, bytes: t.bytes))
            }
            try SafetensorsFile(tensors: results, metadata: ["format": "pt"]).write(to: ours)
            try NetworkSource.emit(graph).write(toFile: source, atomically: true, encoding: .utf8)
            try Python.writeFloats(state.regions[.input] ?? [], to: inputs)
            let labels = (state.regions[.labels] ?? []).map { Int(Int32(bitPattern: $0.bitPattern)) }
            jobs.append(["source": source, "weights": weights, "ours": ours, "inputs": inputs, "dims": row.graph.inputShape.dims,
                         "labels": labels, "smoothing": Double(row.smoothing)])
            expected.append((row.name, 2 + plan.parameterSlots.count + plan.bufferSlots.count))
        }
        let manifest = "\(folder)/rows.json"
        try JSONSerialization.data(withJSONObject: jobs).write(to: URL(fileURLWithPath: manifest))
        let (status, output) = try Python.run(["-c", Self.snippet, manifest])
        guard status == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("[") }),
              let rows = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [[String: Any]], rows.count == expected.count else {
            return XCTFail("PyTorch did not check the rows:\n\(output.suffix(3000))")
        }
        var worst: [(Double, String)] = []
        for ((name, count), errors) in zip(expected, rows) {
            if let failure = errors["failure"] {
                XCTFail("\(name): PyTorch did not run the emitted source: \(failure)")
                continue
            }
            XCTAssertEqual(errors.count, count, "\(name): \(errors.keys.sorted())")
            for (what, e) in errors {
                let value = (e as? NSNumber)?.doubleValue ?? .infinity
                worst.append((value, "\(name): \(what)"))
                XCTAssertLessThanOrEqual(value, bound.value, "\(name): \(what) against PyTorch")
            }
        }
        for (e, what) in worst.sorted(by: { $0.0 > $1.0 }).prefix(5) { print("reference vs PyTorch: \(e) \(what)") }
        print("reference vs PyTorch: \(worst.count) tensors of \(rows.count) rows compared")
    }
}
