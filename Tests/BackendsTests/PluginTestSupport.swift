import Foundation
import Synchronization
import Testing
@testable import Backends

/// The example plugin (Plugins/example, C) and its variants for the loader's tests.
///
/// The example itself is the one `scripts/build-plugins.sh` built (scripts/test.sh runs it and
/// puts `.build/plugins` on `ACC_PLUGIN_PATH`): found through the registry when `ACC_PLUGIN_PATH`
/// names it, else at `.build/plugins/libacc_example.so`, else built here into a temporary
/// directory, so that `swift test` alone works too. Variants are always built here, once per
/// process, from the same sources with `-D` flags.
enum ExamplePlugin {
    /// The package root (this file is `Tests/BackendsTests/...`).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where scripts/build-plugins.sh puts the plugin.
    static let builtPath = packageRoot.appendingPathComponent(".build/plugins/libacc_example.so").path

    /// A build of the example's sources with extra flags.
    enum Variant: String, CaseIterable, Sendable {
        case standard, wrongMajor, olderMinor, newerMinor, missingEntryPoint, missingCompile, failingInit, synchronous

        var flags: [String] {
            switch self {
            case .standard: []
            case .wrongMajor: ["-DEXAMPLE_ABI_MAJOR=2"]
            case .olderMinor: ["-DEXAMPLE_ABI_MINOR=0"]
            case .newerMinor: ["-DEXAMPLE_ABI_MINOR=2"]
            case .missingEntryPoint: ["-DEXAMPLE_ENTRY_POINT=example_get_api"]
            case .missingCompile: ["-DEXAMPLE_OMIT_COMPILE"]
            case .failingInit: ["-DEXAMPLE_FAIL_INIT"]
            case .synchronous: ["-DEXAMPLE_SYNCHRONOUS"]
            }
        }
    }

    /// A directory of this process's own for built plugins and bad files.
    static let scratchDirectory: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acc-plugin-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }()

    private static let built = Mutex<[Variant: Result<String, BuildFailure>]>([:])

    struct BuildFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The path of `variant`, built on first use.
    static func path(of variant: Variant) throws -> String {
        try built.withLock { built in
            if let known = built[variant] { return known }
            let result = build(variant)
            built[variant] = result
            return result
        }.get()
    }

    private static func build(_ variant: Variant) -> Result<String, BuildFailure> {
        let output = scratchDirectory.appendingPathComponent("libacc_example_\(variant.rawValue).so").path
        let sourceDirectory = packageRoot.appendingPathComponent("Plugins/example")
        let sources = ((try? FileManager.default.contentsOfDirectory(atPath: sourceDirectory.path)) ?? [])
            .filter { $0.hasSuffix(".c") }.sorted().map { sourceDirectory.appendingPathComponent($0).path }
        let compiler = ProcessInfo.processInfo.environment["ACC_CC"] ?? "cc"
        let arguments = [compiler, "-std=gnu11", "-O1", "-fPIC", "-shared", "-fvisibility=hidden", "-ffp-contract=off", "-pthread",
                         "-I", packageRoot.appendingPathComponent("Sources/CAccPlugin/include").path] + variant.flags + sources + ["-lm", "-o", output]
        // The compiler writes to a file, not a pipe: Foundation's pipe reads trap on EINTR, which
        // other tests' child processes cause.
        let logPath = output + ".log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let logFile = FileHandle(forWritingAtPath: logPath) else {
            return .failure(BuildFailure(description: "cannot create \(logPath)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = logFile
        process.standardError = logFile
        do {
            try process.run()
        } catch {
            return .failure(BuildFailure(description: "cannot run \(compiler): \(error)"))
        }
        process.waitUntilExit()
        try? logFile.close()
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            return .failure(BuildFailure(description: "building the example plugin (\(variant)) failed:\n\(log)"))
        }
        return .success(output)
    }

    /// `plugin:example:0`: from the registry when `ACC_PLUGIN_PATH` names the example, else loaded
    /// from `.build/plugins`, else from a build of this process's own.
    static func device() throws -> PluginDevice {
        try shared.get()
    }

    private static let shared: Result<PluginDevice, BuildFailure> = {
        if let found = PluginBackend().discover().devices.first(where: { $0.id == "plugin:example:0" }) as? PluginDevice {
            return .success(found)
        }
        let path: String
        if FileManager.default.fileExists(atPath: builtPath) {
            path = builtPath
        } else {
            do { path = try ExamplePlugin.path(of: .standard) } catch { return .failure(BuildFailure(description: "\(error)")) }
        }
        let loaded = PluginLoader(searchPath: path).load()
        guard let device = loaded.devices.first(where: { $0.id == "plugin:example:0" }) else {
            return .failure(BuildFailure(description: "the example plugin at \(path) did not load: \(loaded.warnings)"))
        }
        return .success(device)
    }()

    /// The devices and warnings of loading `variant` alone.
    static func load(_ variant: Variant) throws -> (devices: [PluginDevice], warnings: [String]) {
        PluginLoader(searchPath: try path(of: variant)).load()
    }
}
