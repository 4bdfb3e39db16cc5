import ArgumentParser
import Foundation
import Testing
@testable import acctl

@Test func devicesPrintsATableAndJSON() throws {
    try DevicesCommand.parse([]).run()
    try DevicesCommand.parse(["--json"]).run()
}

@Test func benchRunsASmallSuite() throws {
    try BenchCommand.parse(["--suite", "launch", "--repeat", "3", "--warmup", "1", "--device", "cpu:0"]).run()
    try BenchCommand.parse(["--suite", "launch", "--repeat", "1", "--markdown"]).run()
}

@Test func benchRejectsUnknownSuitesAndDevices() throws {
    let error = #expect(throws: (any Error).self) { try BenchCommand.parse(["--suite", "nope"]) }
    #expect(String(describing: error.map { BenchCommand.message(for: $0) } ?? "").contains("unknown suite 'nope'"))
    #expect(throws: (any Error).self) { try BenchCommand.parse(["--device", "gpu:9"]).run() }
}

@Test func benchmarkCatalogBuildsEverySuite() throws {
    for suite in BenchmarkCatalog.suites {
        let benchmarks = try BenchmarkCatalog.benchmarks(in: suite)
        #expect(!benchmarks.isEmpty)
    }
}
