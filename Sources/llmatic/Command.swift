// The command registry. Each command is one type in its own file; adding a command is adding its type to
// `CommandRegistry.commands`.
import Foundation
import NetCode
import NetIR

protocol Command {
    /// The word after `llmatic`: `train`.
    static var name: String { get }
    /// One line for `llmatic --help`.
    static var summary: String { get }
    /// Full help: usage, description, options.
    static var help: String { get }
    /// Runs with the arguments after the command name; returns the exit status. Throws `UsageError` for a
    /// wrong call (exit 2) and anything else for a failure (exit 1); both end as one line on stderr.
    static func run(_ arguments: [String]) throws -> Int32
}

/// A command as the registry holds it (plain closures: existential metatypes crash swiftc 6.3's SILGen here).
struct RegisteredCommand {
    let name: String
    let summary: String
    let help: () -> String
    let run: ([String]) throws -> Int32

    init<C: Command>(_ command: C.Type) {
        name = C.name
        summary = C.summary
        help = { C.help }
        run = { try C.run($0) }
    }
}

enum CommandRegistry {
    /// Every subcommand, in the order `llmatic --help` lists them.
    static var commands: [RegisteredCommand] {
        [RegisteredCommand(TrainCommand.self), RegisteredCommand(CheckCommand.self), RegisteredCommand(DevicesCommand.self), RegisteredCommand(TuneCommand.self), RegisteredCommand(SearchCommand.self), RegisteredCommand(ReportCommand.self), RegisteredCommand(ExportCommand.self), RegisteredCommand(BenchSearchCommand.self), RegisteredCommand(LLMYieldCommand.self)]
    }

    static func command(named name: String) -> RegisteredCommand? { commands.first { $0.name == name } }

    static var overview: String {
        let width = (commands.map { $0.name.count }.max() ?? 0) + 4
        var lines = ["llmatic \(Version.text): neural architecture search (LLMatic) over a fast trainer", "",
                     "usage: llmatic COMMAND [options]", "", "commands:"]
        for c in commands {
            lines.append("  " + c.name + String(repeating: " ", count: width - c.name.count) + c.summary)
        }
        lines += ["", "Run `llmatic COMMAND --help` for a command's options; `llmatic --version` for the version."]
        return lines.joined(separator: "\n")
    }

    /// Dispatches `arguments` (without the program name) and turns every error into one line on stderr.
    static func main(_ arguments: [String]) -> Int32 {
        guard let first = arguments.first else {
            Console.error(overview)
            return 2
        }
        switch first {
        case "--help", "-h", "help":
            if first == "help", arguments.count > 1, let c = command(named: arguments[1]) {
                print(c.help())
            } else {
                print(overview)
            }
            return 0
        case "--version", "-V", "version":
            print("llmatic \(Version.text)")
            return 0
        default:
            break
        }
        guard let command = command(named: first) else {
            let names = commands.map(\.name)
            Console.error("llmatic: unknown command '\(first.escapedForOneLine)'" + ArgumentParser.suggestion(for: first, among: names, prefix: "", kind: "commands"))
            return 2
        }
        do {
            return try command.run(Array(arguments.dropFirst()))
        } catch {
            let (message, status) = report(error, command: command.name)
            Console.error(message)
            return status
        }
    }

    /// The line(s) for stderr and the exit status of a failed command: 2 for a wrong call, 1 otherwise. The
    /// message itself is one line: what it quotes has its line breaks and invisible characters escaped.
    static func report(_ error: any Error, command: String) -> (String, Int32) {
        if let usage = error as? UsageError {
            return ("llmatic \(command): \(usage.message.escapedForOneLine)\nrun `llmatic \(command) --help` for the options", 2)
        }
        if let source = error as? SourceError {
            return (source.description.escapedForOneLine, 1)   // file:line:column: message, as editors expect
        }
        if let network = error as? NetworkError, network.location != nil {
            return (network.description.escapedForOneLine, 1)
        }
        return ("llmatic \(command): error: " + "\(error)".escapedForOneLine, 1)
    }
}

/// A failure with a message written for the user (a file that cannot be read, an unavailable device).
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

enum Version {
    static let text = "0.1.0"
}
