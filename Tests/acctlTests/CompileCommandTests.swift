import ArgumentParser
import Foundation
import Testing
@testable import acctl

private let kernels = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Kernels")

@Test(arguments: ["ir", "schedule"])
func compileEmitsEachLevel(_ level: String) throws {
    let command = try CompileCommand.parse([kernels.appendingPathComponent("attention.kir").path, "--function", "attention", "--emit", level])
    try command.run()
}

@Test func compileNeedsExactlyOneSource() {
    #expect(throws: (any Error).self) { try CompileCommand.parse([]) }
    #expect(throws: (any Error).self) { try CompileCommand.parse(["file.kir", "--model", "vdit-test"]) }
}

@Test func compileListsKnownModelsAndFunctions() throws {
    let unknownModel = try CompileCommand.parse(["--model", "vdit-xl"])
    let error = #expect(throws: ValidationError.self) { try unknownModel.run() }
    #expect(error?.message == "unknown model 'vdit-xl'; known models: vdit-test, vdit-s, vdit-m")
    let unknownFunction = try CompileCommand.parse([kernels.appendingPathComponent("silu.kir").path, "--function", "gelu"])
    let functionError = #expect(throws: ValidationError.self) { try unknownFunction.run() }
    #expect(functionError?.message == "no function @gelu; the file defines @silu")
}

@Test func compileEmitsGeneratedCForCPUDevicesOnly() throws {
    try CompileCommand.parse([kernels.appendingPathComponent("gelu_tanh.kir").path, "--emit", "code"]).run()
    let simulated = try CompileCommand.parse([kernels.appendingPathComponent("silu.kir").path, "--emit", "code", "--device", "sim:tpu-v5e"])
    let error = #expect(throws: ValidationError.self) { try simulated.run() }
    #expect(error?.message == "--emit code shows the generated C of cpu devices; for sim:tpu-v5e it is not implemented yet")
}

@Test func compileSchedulesForTheNamedDevice() throws {
    // On cpu:0 the head-split views of q, k and v are read by the matmuls in place, so the schedule has
    // fewer kernels than the backend-neutral one; an unknown device is an error naming the known ones.
    try CompileCommand.parse([kernels.appendingPathComponent("attention.kir").path, "--function", "attention", "--emit", "schedule",
                              "--device", "cpu:0"]).run()
    let unknown = try CompileCommand.parse([kernels.appendingPathComponent("silu.kir").path, "--emit", "schedule", "--device", "tpu:9"])
    #expect(throws: (any Error).self) { try unknown.run() }
}
