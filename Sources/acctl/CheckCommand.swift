import ArgumentParser
import Backends
import Foundation
import Runtime

/// `acctl check`: the cross-backend equivalence suite a user runs on a new device or driver.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that a device computes every primitive and Kernels/ function like the reference interpreter.",
        discussion: "Exits with status 1 when any case fails. Kernels/ is looked for in the current directory and beside the acctl binary's package."
    )

    @Option(name: .customLong("device"), help: "The device to check (repeatable; default: every device).")
    var devices: [String] = []

    @Option(help: "The directory of .kir kernel functions to check.")
    var kernels: String?

    @Option(help: "Seed of the random inputs.")
    var seed: Int = 0

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let chosen = try devices.isEmpty ? Runtime.devices : devices.map { try Runtime.device($0) }
        let cases = try ConformanceSuite.cases(kernelsDirectory: try kernelsDirectory())
        var reports: [CheckReport] = []
        for device in chosen {
            Progress.show("checking \(cases.count) programs on \(device.id)")
            reports.append(CheckReport(device: device.id.rawValue, results: ConformanceSuite.run(cases, on: device, seed: seed)))
        }
        Progress.clear()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try encoder.encode(reports), as: UTF8.self))
        } else {
            for report in reports { print(report.table) }
        }
        if reports.contains(where: { $0.failed > 0 }) { throw ExitCode(1) }
    }

    /// `--kernels`, else `Kernels/` in the current directory or above the binary (`.build/<config>/acctl`).
    private func kernelsDirectory() throws -> URL {
        let files = FileManager.default
        if let kernels {
            guard files.fileExists(atPath: kernels) else { throw ValidationError("--kernels \(kernels): no such directory") }
            return URL(fileURLWithPath: kernels, isDirectory: true)
        }
        var candidates = [URL(fileURLWithPath: files.currentDirectoryPath).appendingPathComponent("Kernels")]
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            directory = directory.deletingLastPathComponent()
            candidates.append(directory.appendingPathComponent("Kernels"))
        }
        guard let found = candidates.first(where: { files.fileExists(atPath: $0.path) }) else {
            throw ValidationError("no Kernels/ directory here or above the acctl binary; run from the acc repository or pass --kernels DIR")
        }
        return found
    }
}

/// One device's results, as `acctl check` prints them.
struct CheckReport: Codable {
    var device: String
    var results: [ConformanceResult]

    var passed: Int { results.filter { $0.status == .pass }.count }
    var failed: Int { results.filter { $0.status == .fail || $0.status == .error }.count }
    var skipped: Int { results.filter { $0.status == .skipped }.count }

    /// A row per case: status, worst relative error, tolerance, and what went wrong.
    var table: String {
        var rows = [["case", "kind", "result", "worst error", "tolerance", "detail"]]
        for result in results {
            rows.append([result.name, result.kind, result.status.rawValue.uppercased(),
                         result.worstError.map { String(format: "%.2e", $0) } ?? "-",
                         result.tolerance.map { String(format: "%.1e", $0) } ?? "-",
                         String((result.message ?? "").prefix(160))])
        }
        return "\(device)\n" + Format.table(rows) + "\n\(device): \(passed) passed, \(failed) failed, \(skipped) skipped of \(results.count)"
    }
}
