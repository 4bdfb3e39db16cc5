import Foundation
import Testing
@testable import acctl

// `acctl devices` lists a plugin's devices as plugin:NAME:0 and reports bad search-path entries
// as warnings: the built acctl is run with ACC_PLUGIN_PATH naming the example plugin that
// scripts/build-plugins.sh built (scripts/test.sh builds it before the tests).

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let examplePlugins = packageRoot.appendingPathComponent(".build/plugins")
private let examplePlugin = examplePlugins.appendingPathComponent("libacc_example.so")

/// The acctl executable built beside this test bundle.
private var acctlExecutable: URL? {
    let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent(),
                      Bundle.main.bundleURL]
    return candidates.map { $0.appendingPathComponent("acctl") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["CI"] == "true" || FileManager.default.fileExists(atPath: examplePlugin.path)))
func devicesListsTheExamplePluginAndWarnsAboutBadEntries() throws {
    let acctl = try #require(acctlExecutable, "no acctl beside the test bundle \(CommandLine.arguments[0])")
    try #require(FileManager.default.fileExists(atPath: examplePlugin.path), "run scripts/build-plugins.sh first")
    let process = Process()
    process.executableURL = acctl
    process.arguments = ["devices", "--json"]
    var environment = ProcessInfo.processInfo.environment
    environment["ACC_PLUGIN_PATH"] = "\(examplePlugins.path):/nonexistent/acc-plugins"
    process.environment = environment
    // Output goes to a file: Foundation's pipe reads trap on EINTR, which other tests' children cause.
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("acctl-devices-\(ProcessInfo.processInfo.processIdentifier).json").path
    try #require(FileManager.default.createFile(atPath: outputPath, contents: nil))
    let output = try #require(FileHandle(forWritingAtPath: outputPath))
    process.standardOutput = output
    try process.run()
    process.waitUntilExit()
    try output.close()
    #expect(process.terminationStatus == 0)
    let document = try JSONDecoder().decode(DevicesDocument.self, from: try Data(contentsOf: URL(fileURLWithPath: outputPath)))
    let plugin = try #require(document.devices.first { $0.id == "plugin:example:0" }, "\(document.devices.map(\.id)); \(document.warnings)")
    #expect(plugin.backend == "plugin")
    #expect(plugin.name == "example host device")
    #expect(document.warnings.contains("ACC_PLUGIN_PATH names /nonexistent/acc-plugins, which does not exist"))
}
