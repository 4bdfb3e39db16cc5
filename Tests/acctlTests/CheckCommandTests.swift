import ArgumentParser
import Backends
import Foundation
import Testing
@testable import acctl

private let kernels = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Kernels")

/// The acctl binary built beside the test bundle.
private let acctlBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("acctl")

@Test func checkPassesOnTheCPUAndPrintsJSON() throws {
    try CheckCommand.parse(["--device", "cpu:0", "--kernels", kernels.path, "--json"]).run()
}

@Test func checkRejectsAMissingKernelDirectoryAndUnknownDevices() throws {
    let error = #expect(throws: ValidationError.self) { try CheckCommand.parse(["--kernels", "/nonexistent/Kernels"]).run() }
    #expect(error?.message == "--kernels /nonexistent/Kernels: no such directory")
    #expect(throws: (any Error).self) { try CheckCommand.parse(["--device", "gpu:9", "--kernels", kernels.path]).run() }
}

@Test func checkReportCountsFailuresForTheExitStatus() {
    let report = CheckReport(device: "opencl:0", results: [
        .init(name: "add f32", kind: "primitive", status: .pass, worstError: 0, tolerance: 1e-5),
        .init(name: "exp f16", kind: "primitive", status: .fail, worstError: 0.01, tolerance: 2e-3, message: "result 0: [3] 1.5, expected 1.25"),
        .init(name: "conv 3-d", kind: "primitive", status: .skipped, message: "no"),
    ])
    #expect(report.failed == 1 && report.passed == 1 && report.skipped == 1)
    #expect(report.table.hasSuffix("opencl:0: 1 passed, 1 failed, 1 skipped of 3"))
    #expect(report.table.contains("exp f16   primitive  FAIL     1.00e-02     2.0e-03    result 0: [3] 1.5, expected 1.25"))
}

/// With the ICD loader pointed at an empty vendor directory there is no OpenCL platform: acctl
/// still lists the CPU and says no OpenCL device was found.
@Test(.enabled(if: FileManager.default.isExecutableFile(atPath: acctlBinary.path), "acctl is not built beside the tests"))
func devicesWithoutAnyOpenCLPlatformListsTheCPU() throws {
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("acc-no-vendors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: empty) }
    let process = Process()
    process.executableURL = acctlBinary
    process.arguments = ["devices"]
    var environment = ProcessInfo.processInfo.environment
    environment["OCL_ICD_VENDORS"] = empty.path
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(output)")
    #expect(output.contains("cpu:0"))
    #expect(!output.contains("opencl:0"))
    #expect(output.contains("no OpenCL device was found"), "\(output)")
}
