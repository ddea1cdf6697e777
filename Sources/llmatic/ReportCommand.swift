// `llmatic report DIR`: rebuilds report.html from a run folder (also while the run is going).
import Foundation
import Search

enum ReportCommand: Command {
    static let name = "report"
    static let summary = "rebuild a search run's report.html"
    static let options: [OptionSpec] = [
        OptionSpec("top", "K", "best networks shown with their code", default: "5"),
    ]

    static var help: String {
        ArgumentParser.help(usage: "llmatic report DIR [--top K]",
                            summary: "Rebuilds DIR/report.html (one self-contained page) from config.json and events.jsonl.",
                            options: options)
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try ArgumentParser.parse(arguments, options: options, maxPositionals: 1)
        if args.helpRequested {
            print(help)
            return 0
        }
        let directory = try args.runFolder(usage: "llmatic report DIR")
        try Report.write(directory, topK: try args.int("top", default: 5, minimum: 1))
        print(directory.reportPath)
        return 0
    }
}
