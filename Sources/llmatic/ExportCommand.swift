// `llmatic export DIR --best [--top K]`: the best networks of a run as PyTorch source + safetensors weights.
import Foundation
import Search

enum ExportCommand: Command {
    static let name = "export"
    static let summary = "write the best networks of a search run as PyTorch source and safetensors weights"
    static let options: [OptionSpec] = [
        OptionSpec("best", nil, "export the best networks of the archive (the default and only selection)"),
        OptionSpec("top", "K", "how many, best first", default: "1"),
        OptionSpec("to", "DIR", "destination folder", default: "DIR/export"),
    ]

    static var help: String {
        ArgumentParser.help(usage: "llmatic export DIR --best [--top K] [--to FOLDER]",
                            summary: "Copies the source (net.py) and trained weights of the archive's best networks as rankN_candidateID.py / .safetensors; load them with torch's load_state_dict(safetensors.torch.load_file(...)).",
                            options: options)
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try ArgumentParser.parse(arguments, options: options, maxPositionals: 1)
        if args.helpRequested {
            print(help)
            return 0
        }
        let directory = try args.runFolder(usage: "llmatic export DIR --best")
        let exported = try Export.best(directory, top: try args.int("top", default: 1, minimum: 1),
                                       to: args.string("to") ?? directory.path("export"))
        for e in exported { print("\(e.source)  \(e.weights ?? "(no weights)")  validation accuracy \(String(format: "%.4f", e.accuracy))") }
        return exported.isEmpty ? 1 : 0
    }
}
