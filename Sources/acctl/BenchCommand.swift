import ArgumentParser
import Backends
import Foundation
import KernelIR
import Runtime

/// `acctl bench`: throughput of the benchmark suites on each device, with reference rows measured
/// in the same run (a direct OpenBLAS call beside GEMM, a memory copy beside the elementwise chain).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput of the benchmark suites on each device.",
        discussion: "Suites: \(BenchmarkCatalog.suites.joined(separator: ", ")). Times are medians over --repeat runs after warm-up. "
            + "On a simulated device (sim:NAME) the host simulation is timed once, and a separate table gives the device's modeled time."
    )

    @Option(name: .customLong("device"), help: "A device to measure (repeatable; default: every device).")
    var devices: [String] = []

    @Option(name: .customLong("suite"), help: "A suite to run (repeatable; default: all).")
    var suites: [String] = []

    @Option(name: .customLong("repeat"), help: "Timed runs per benchmark.")
    var runs: Int = 10

    @Option(help: "Untimed runs before timing.")
    var warmup: Int = 2

    @Flag(help: "Time the GEMM tile candidates again on OpenCL devices, replacing their cached tuning results.")
    var tune = false

    @Flag(help: "Print results as JSON.")
    var json = false

    @Flag(help: "Print results as a Markdown table for BENCHMARKS.md.")
    var markdown = false

    @Flag(help: "After each benchmark, print its slowest kernels (needs ACC_PROFILE=1 in the environment).")
    var profile = false

    @Option(name: .customLong("profile-kernels"), help: "How many of the slowest kernels --profile prints.")
    var profileKernels = 30

    func validate() throws {
        guard runs >= 1, warmup >= 0, profileKernels >= 0 else { throw ValidationError("--repeat must be at least 1, --warmup and --profile-kernels at least 0") }
        for suite in suites where !BenchmarkCatalog.suites.contains(suite) { throw ValidationError(BenchError.unknownSuite(suite).description) }
    }

    func run() throws {
        let chosenDevices = try devices.isEmpty ? Runtime.devices : devices.map { id in try Runtime.device(id) }
        let chosenSuites = suites.isEmpty ? BenchmarkCatalog.suites : suites
        if tune {
            for case let device as OpenCLDevice in chosenDevices { device.tuner.retune() }
        }
        var benchmarks: [Benchmark] = []
        for suite in chosenSuites { benchmarks += try BenchmarkCatalog.benchmarks(in: suite) }
        var results: [BenchResult] = []
        let total = benchmarks.count * chosenDevices.count
        var done = 0
        for device in chosenDevices {
            for benchmark in benchmarks {
                done += 1
                Progress.show("[\(done)/\(total)] \(benchmark.suite) \(benchmark.name) on \(device.id)")
                results += try BenchRunner(runs: runs, warmup: warmup).measure(benchmark, on: device)
                if profile { try printProfile(benchmark, on: device) }
            }
        }
        Progress.clear()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print(BenchResult.table(results.filter { $0.basis == .measured }, markdown: markdown))
            print("\(runs) timed runs after \(warmup) warm-up runs per row; times are medians. "
                  + "Simulated devices' host simulation is timed \(BenchRunner.simulatedRuns) time(s), without warm-up.")
            let modeled = results.filter { $0.basis == .modeled }
            if !modeled.isEmpty {
                print("\nMODELED on simulated devices: the cost model of accelerators.md §5 for one run, not a measurement.")
                print(BenchResult.modeledTable(modeled, markdown: markdown))
            }
            for case let device as OpenCLDevice in chosenDevices where !device.tuner.tunedTiles.isEmpty {
                let tiles = device.tuner.tunedTiles.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                print("\(device.id) GEMM tiles (\(device.tuner.cacheFile.path)): " + tiles.joined(separator: "; "))
            }
        }
    }
}

extension BenchCommand {
    /// The `profileKernels` kernels of `benchmark` that took longest, from the executable's profile, and the time of a run.
    func printProfile(_ benchmark: Benchmark, on device: any Device) throws {
        Progress.clear()
        let executable = try device.compile(benchmark.graph).executable
        guard let profile = (executable as? any Profiled)?.profile else {
            print("no profile for \(benchmark.suite) \(benchmark.name) on \(device.id): set ACC_PROFILE=1")
            return
        }
        let entries = profile.entries
        let total = entries.reduce(0) { $0 + $1.seconds }
        print("profile of \(benchmark.suite) \(benchmark.name) on \(device.id): \(entries.count) kernels, \(Format.number(total / Double(max(entries.first?.calls ?? 1, 1)) * 1e3, digits: 3)) ms a run")
        let bodies = Dictionary(executable.schedule.kernels.map { ($0.body.name, $0.body) }, uniquingKeysWith: { first, _ in first })
        for entry in entries.prefix(profileKernels) {
            let share = total > 0 ? entry.seconds / total * 100 : 0
            let ops = bodies[entry.name].map { body in body.instructions.map(\.op.mnemonic).joined(separator: " ") + " -> \(body.resultTypes[0])" } ?? ""
            print("  \(Format.number(share, digits: 1))%  \(Format.number(entry.seconds / Double(max(entry.calls, 1)) * 1e3, digits: 3)) ms  \(entry.kind)  \(ops)")
        }
        let byKind = Dictionary(grouping: entries, by: \.kind).mapValues { $0.reduce(0) { $0 + $1.seconds } }
        print("  by kind: " + byKind.sorted { $0.key < $1.key }.map { "\($0.key) \(Format.number(total > 0 ? $0.value / total * 100 : 0, digits: 1))%" }.joined(separator: ", "))
    }
}

/// A progress line on standard error, rewritten in place.
enum Progress {
    static func show(_ text: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    static func clear() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
