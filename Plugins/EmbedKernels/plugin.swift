import Foundation
import PackagePlugin

/// Turns Kernels/*.cl into one Swift file of string literals, so a built binary carries its OpenCL sources
/// and runs on any machine without a Kernels directory beside it.
@main
struct EmbedKernels: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let kernels = context.package.directoryURL.appending(path: "Kernels").resolvingSymlinksInPath()
        let sources = try FileManager.default.contentsOfDirectory(at: kernels, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "cl" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedKernels.swift")
        return [.buildCommand(displayName: "Embedding \(sources.count) OpenCL kernel files",
                              executable: try context.tool(named: "EmbedKernelsTool").url,
                              arguments: [output.path] + sources.map(\.path),
                              inputFiles: sources, outputFiles: [output])]
    }
}
