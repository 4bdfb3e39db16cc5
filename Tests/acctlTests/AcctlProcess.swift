import Foundation
import Testing

/// The built `acctl` binary run as a child process, for tests that need a real process: killing it
/// mid-save, sending it Ctrl-C, reading what it prints.
struct AcctlProcess {
    /// How a run ended and what it printed.
    struct Outcome {
        var status: Int32
        var wasSignalled: Bool
        var output: String
        var errorOutput: String
    }

    /// `acctl` beside the test runner: both are products of the same build (`swift build --build-tests`).
    static func executable() throws -> URL {
        var directories: [URL] = []
        if let runner = Bundle.main.executableURL { directories.append(runner.deletingLastPathComponent()) }
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        // On macOS the runner sits inside accPackageTests.xctest/Contents/MacOS.
        directories += directories.map { $0.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
        let candidates = directories.map { $0.appendingPathComponent("acctl") }
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "no acctl binary in \(candidates.map(\.path)); build it with `swift build --build-tests`")
    }

    /// Runs `acctl arguments` to completion.
    static func run(_ arguments: [String], in directory: URL) throws -> Outcome {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = directory.appendingPathComponent("stdout-\(UUID().uuidString).txt")
        let errors = directory.appendingPathComponent("stderr-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, wasSignalled: process.terminationReason == .uncaughtSignal,
                       output: try String(contentsOf: output, encoding: .utf8),
                       errorOutput: try String(contentsOf: errors, encoding: .utf8))
    }

    /// Runs `acctl arguments`, sends it SIGINT once its standard error contains `marker`, and waits for it.
    static func interrupt(_ arguments: [String], in directory: URL, after marker: String) throws -> Outcome {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        var sent = false
        while true {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if !sent, text.contains(marker) {
                process.interrupt()
                sent = true
            }
        }
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, wasSignalled: process.terminationReason == .uncaughtSignal,
                       output: "", errorOutput: text)
    }
}
