// `--net`: a built-in network by name, or a PyTorch source file parsed (never executed) by NetCode.
import Foundation
import NetCode
import NetIR
import Search

struct LoadedNetwork {
    var graph: Graph
    /// `smallcnn`, or the file path and class: `net.py:Net`.
    var label: String
    /// Parameters of modules defined but never called (PyTorch still counts them).
    var unusedParameters: Int
}

enum NetworkLoading {
    static var builtinNames: [String] { BuiltinNetwork.allCases.map(\.rawValue) }

    /// `nb201:CELL`: a NAS-Bench-201 cell in the benchmark's network (`cellsPerStage` cells per stage).
    static let nb201Prefix = "nb201:"

    /// Builds the network for `input` images and `classes` outputs (built-ins and NAS-Bench-201 cells adapt;
    /// files are what they are).
    static func load(_ spec: String, className: String?, input: TensorShape, classes: Int,
                     cellsPerStage: Int = NB201Network.defaultCellsPerStage) throws -> LoadedNetwork {
        if spec.hasPrefix(nb201Prefix) {
            guard className == nil else { throw UsageError("--class applies to network files, not to '\(spec)'") }
            let source = try nb201Source(spec, input: input, classes: classes, cellsPerStage: cellsPerStage)
            // The same path as a search child: the emitted source through NetCode.
            let parsed = try NetworkSource.parse(source, file: spec, input: input)
            return LoadedNetwork(graph: parsed.graph, label: spec, unusedParameters: parsed.unusedParameterCount)
        }
        if let builtin = BuiltinNetwork(rawValue: spec) {
            guard className == nil else { throw UsageError("--class applies to network files, not the built-in '\(spec)'") }
            return LoadedNetwork(graph: try builtin.graph(input: input, classes: classes), label: spec, unusedParameters: 0)
        }
        guard spec.hasSuffix(".py") || FileManager.default.fileExists(atPath: spec) else {
            throw UsageError("unknown network '\(spec)': expected one of \(builtinNames.joined(separator: ", ")) or a .py file")
        }
        let source: String
        do {
            source = try String(contentsOfFile: spec, encoding: .utf8)
        } catch {
            throw Failure("\(spec): cannot read the network file (\(FileManager.default.fileExists(atPath: spec) ? "not UTF-8 text?" : "no such file"))")
        }
        let parsed = try NetworkSource.parse(source, file: spec, input: input, className: className)
        return LoadedNetwork(graph: parsed.graph, label: "\(spec):\(parsed.className)",
                             unusedParameters: parsed.unusedParameterCount)
    }
}

extension NetworkLoading {
    /// The PyTorch source of `nb201:CELL` for this data.
    static func nb201Source(_ spec: String, input: TensorShape, classes: Int, cellsPerStage: Int) throws -> String {
        let cell = try NB201Cell(string: String(spec.dropFirst(nb201Prefix.count)))
        return try NB201Network(cell: cell, cellsPerStage: cellsPerStage, inputChannels: input.channels, classes: classes).source()
    }
}

extension ParsedArguments {
    /// `--input CxHxW` (default 1x28x28), which `check` and `tune` take: the image shape networks are built for.
    func inputShape() throws(UsageError) -> TensorShape {
        let text = string("input") ?? "1x28x28"
        guard let input = TensorShape(parsing: text), input.isImage else {
            throw UsageError("invalid value '\(text)' for --input: expected CxHxW such as 1x28x28 or 3x32x32 "
                             + "(each side at most \(SizeLimits.dimension), at most \(SizeLimits.tensorElements) elements)")
        }
        return input
    }
}
