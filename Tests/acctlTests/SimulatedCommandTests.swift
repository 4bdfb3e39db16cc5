import ArgumentParser
import Foundation
import KernelIR
import Runtime
import Testing
@testable import acctl

// acctl on simulated devices: tile programs, and bench rows that keep modeled figures apart.

private let kernels = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Kernels")

@Test(arguments: ["sim:ascend-910b", "sim:tpu-v5e", "sim:trainium1"])
func compileEmitsTilesForASimulatedDevice(_ device: String) throws {
    try CompileCommand.parse([kernels.appendingPathComponent("linear.kir").path, "--device", device, "--emit", "tiles"]).run()
    try CompileCommand.parse(["--model", "vdit-test", "--device", device, "--emit", "tiles"]).run()
}

@Test func tilesNeedASimulatedDevice() throws {
    let file = kernels.appendingPathComponent("silu.kir").path
    let missing = #expect(throws: (any Error).self) { try CompileCommand.parse([file, "--emit", "tiles"]) }
    #expect(missing.map { CompileCommand.message(for: $0) } == "--emit tiles needs --device sim:NAME; simulated devices: sim:ascend-910b, sim:tpu-v5e, sim:trainium1")
    let cpu = #expect(throws: ValidationError.self) { try CompileCommand.parse([file, "--emit", "tiles", "--device", "cpu:0"]).run() }
    #expect(cpu?.message == "--emit tiles lowers for simulated devices only, and cpu:0 is not one; simulated devices: sim:ascend-910b, sim:tpu-v5e, sim:trainium1")
}

@Test func benchOnASimulatedDeviceGivesAHostRowAndASeparateModeledRow() throws {
    let benchmark = try #require(try BenchmarkCatalog.benchmarks(in: "gemm").first)
    let rows = try BenchRunner(runs: 3, warmup: 1).measure(benchmark, on: try Runtime.device("sim:tpu-v5e"))
    #expect(rows.map(\.basis) == [.measured, .modeled])
    #expect(rows[0].implementation == "acc (host simulation)" && rows[0].runs == 1 && rows[0].percentOfPeak == nil)
    let modeled = rows[1]
    #expect(modeled.implementation == "acc (modeled)" && modeled.runs == 0)
    // 512³ f32 on the TPU: bf16 operands at 197 TFLOP/s, so the modeled throughput is a share of that peak.
    let percent = try #require(modeled.percentOfPeak)
    #expect(percent > 0 && percent < 100)
    #expect(try #require(modeled.throughput) == Double(2 * 512 * 512 * 512) / modeled.medianSeconds / 1e9)
    #expect(BenchResult.modeledTable([modeled], markdown: false).contains("modeled time"))
    let cpuRows = try BenchRunner(runs: 1, warmup: 0).measure(benchmark, on: try Runtime.device("cpu:0"))
    #expect(cpuRows.allSatisfy { $0.basis == .measured })
}

@Test func benchTrainSuiteReportsModeledStepTimes() throws {
    try BenchCommand.parse(["--suite", "launch", "--device", "sim:trainium1", "--repeat", "1", "--markdown"]).run()
}
