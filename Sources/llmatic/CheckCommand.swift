// `llmatic check`: parse a network, infer every shape, and print a layer table with parameters and FLOPs.
import Foundation
import NetCode
import NetIR
import Search

enum CheckCommand: Command {
    static let name = "check"
    static let summary = "parse a network and print its layers, shapes, parameters and FLOPs"

    static let options: [OptionSpec] = [
        OptionSpec("input", "CxHxW", "input image shape", default: "1x28x28"),
        OptionSpec("classes", "K", "classes for built-in networks", default: "10"),
        OptionSpec("class", "NAME", "the nn.Module class to use from a .py file"),
        OptionSpec("json", nil, "print one JSON object as the last line of stdout"),
        OptionSpec("repair", nil, "check the network as a search takes a model's child: with the repairs made without the model (input sizes, modules used but never defined, a flatten before a Linear given an image, the output size), each printed"),
    ]

    static var help: String {
        ArgumentParser.help(usage: "llmatic check NET [--input CxHxW] [--class NAME] [--json]",
                            summary: "NET is a built-in network (\(NetworkLoading.builtinNames.joined(separator: ", "))) or a PyTorch .py file.\nErrors are printed as file:line:column: message.",
                            options: options,
                            notes: "examples:\n  llmatic check resnet8 --input 3x32x32\n  llmatic check mynet.py --class Net --json")
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try ArgumentParser.parse(arguments, options: options, maxPositionals: 1)
        if args.helpRequested {
            print(help)
            return 0
        }
        guard let spec = args.positionals.first else { throw UsageError("missing the network to check (a built-in name or a .py file)") }
        let input = try args.inputShape()
        let classes = try args.int("classes", default: 10, minimum: 2, maximum: SizeLimits.dimension)
        let network: LoadedNetwork
        do {
            network = args.flag("repair") && spec.hasSuffix(".py")
                ? try repaired(spec, className: args.string("class"), input: input, classes: classes)
                : try NetworkLoading.load(spec, className: args.string("class"), input: input, classes: classes)
        } catch let error as SourceError {
            noteRepairs(spec, className: args.string("class"), input: input)
            if args.flag("json") { printErrors(error, spec: spec, className: args.string("class"), input: input) }
            throw error
        } catch {
            noteRepairs(spec, className: args.string("class"), input: input)
            throw error
        }
        let graph = network.graph
        let cost = try graph.cost()
        let layers = try layerRows(graph)
        let output = try graph.inferShapes()[graph.output]

        printTable(layers)
        print(String(repeating: "-", count: 72))
        print("\(network.label): \(cost.parameters) parameters (\(Console.count(cost.parameters))), "
              + "\(cost.flops) FLOPs/image (\(Console.count(cost.flops))), output \(output), depth \(cost.depth), width \(cost.width)")
        if network.unusedParameters > 0 {
            print("note: \(network.unusedParameters) more parameters sit in modules that forward() never calls")
        }
        if args.flag("json") {
            let rows: [JSON] = layers.map {
                .object([("name", .string($0.name)), ("type", .string($0.type)), ("output_shape", .string($0.shape.description)),
                         ("parameters", .int($0.parameters)), ("flops", .int($0.flops))])
            }
            print(JSON.object([("net", .string(network.label)), ("parameters", .int(cost.parameters)), ("flops", .int(cost.flops)),
                               ("output_shape", .string(output.description)), ("depth", .int(cost.depth)),
                               ("width", .int(cost.width)), ("unused_parameters", .int(network.unusedParameters)),
                               ("layers", .array(rows))]).text)
        }
        return 0
    }

    /// `--repair`: the network a search would train from this source (`checkRepairing` in ChildVetting.swift),
    /// its repairs printed one per line as `repaired: ...`.
    static func repaired(_ spec: String, className: String?, input: TensorShape, classes: Int) throws -> LoadedNetwork {
        guard let source = try? String(contentsOfFile: spec, encoding: .utf8) else {
            throw Failure("\(spec): cannot read the network file")
        }
        let parsed = try NetworkSource.parseRepairing(source, file: spec, input: input, className: className)
        var graph = parsed.graph
        var repairs = parsed.repairDescriptions
        if let (fixed, change) = OutputRepair.repaired(graph, classes: classes) {
            graph = fixed
            repairs.append(change)
        }
        guard !repairs.isEmpty else { return try NetworkLoading.load(spec, className: className, input: input, classes: classes) }
        for r in repairs { print("repaired: \(r)") }
        let emitted = NetworkSource.emit(graph, className: parsed.className)
        let strict = try NetworkSource.parse(emitted, file: spec + " (repaired)", input: input)
        return LoadedNetwork(graph: strict.graph, label: "\(spec):\(parsed.className) (repaired)",
                             unusedParameters: strict.unusedParameterCount)
    }

    /// `--json` on failure, as the last line of stdout: `{"error": {...}, "errors": [...]}`, the error that
    /// stopped the parse and every independent error of the file (`NetworkSource.diagnose`, up to 10), each with
    /// its kind, message, line, column, layer and near-equivalent hint.
    static func printErrors(_ error: SourceError, spec: String, className: String?, input: TensorShape) {
        var all = [error]
        if spec.hasSuffix(".py"), let source = try? String(contentsOfFile: spec, encoding: .utf8) {
            let found = NetworkSource.diagnose(source, file: spec, input: input, className: className)
            if !found.isEmpty { all = found.contains(error) ? found : [error] + found }
        }
        func object(_ e: SourceError) -> JSON {
            .object([("kind", .string(e.kind.rawValue)), ("message", .string(e.message)), ("file", .string(e.location.file)),
                     ("line", .int(e.location.line)), ("column", .int(e.location.column)),
                     ("layer", e.layer.map { .string($0) } ?? .null), ("hint", e.hint.map { .string($0) } ?? .null)])
        }
        print(JSON.object([("error", object(error)), ("errors", .array(all.prefix(10).map(object)))]).text)
    }

    /// Check stays strict; when the only faults are input sizes, it says what a search would set them to.
    static func noteRepairs(_ spec: String, className: String?, input: TensorShape) {
        guard spec.hasSuffix(".py"), let source = try? String(contentsOfFile: spec, encoding: .utf8),
              let parsed = try? NetworkSource.parseRepairing(source, file: spec, input: input, className: className),
              !parsed.repairDescriptions.isEmpty else { return }
        var text = "note: a search would repair this network without the model (--repair checks it so):\n"
        for r in parsed.repairDescriptions { text += "  \(r)\n" }
        // On stdout: stderr stays the error alone, beginning with file:line:column.
        print(text, terminator: "")
    }

    struct Row {
        var name: String
        var type: String
        var shape: TensorShape
        var parameters: Int
        var flops: Int
    }

    /// One row per node. A layer's FLOPs are NetIR's own per-node count, the terms `Graph.cost().flops` sums, so
    /// the table always sums to it (linear in the number of nodes).
    static func layerRows(_ graph: Graph) throws -> [Row] {
        let shapes = try graph.inferShapes()
        let flops = graph.flopsPerNode(shapes: shapes)
        var seenModules = Set<String>()
        var rows: [Row] = []
        for (i, node) in graph.nodes.enumerated() {
            let owns = seenModules.insert(node.module).inserted
            let parameters = owns ? node.layer.parameterShapes.reduce(0) { $0 + $1.dims.reduce(1, *) } : 0
            let type = node.module == node.name ? node.layer.typeName : "\(node.layer.typeName) (shares \(node.module))"
            rows.append(Row(name: node.name, type: type, shape: shapes[i], parameters: parameters, flops: flops[i]))
        }
        return rows
    }

    static func printTable(_ rows: [Row]) {
        let nameWidth = max(6, rows.map(\.name.count).max() ?? 0) + 2
        let typeWidth = max(6, rows.map(\.type.count).max() ?? 0) + 2
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        func right(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        print(pad("layer", nameWidth) + pad("type", typeWidth) + pad("output", 14) + right("parameters", 12) + right("FLOPs", 14))
        for r in rows {
            print(pad(r.name, nameWidth) + pad(r.type, typeWidth) + pad(r.shape.description, 14)
                  + right(String(r.parameters), 12) + right(String(r.flops), 14))
        }
    }
}
