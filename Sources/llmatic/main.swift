import Foundation

exit(CommandRegistry.main(Array(CommandLine.arguments.dropFirst())))
