import Foundation
import KernelIR
import Testing
@testable import Backends

// The conformance suite `acctl check` runs, on every device discovery finds: every primitive in
// every dtype the device computes in, and every function of Kernels/, against the interpreter.

/// The devices the registry finds here, by id.
enum TestDevices {
    static let all: [any Device] = Registry.discover().devices
    static var ids: [String] { all.map(\.id.rawValue) }

    /// The device `id`.
    static func device(_ id: String) throws -> any Device {
        try #require(all.first { $0.id.rawValue == id }, "no device \(id)")
    }
}

@Test func openCLDeviceIsPresentWhereCIRequiresIt() {
    guard ProcessInfo.processInfo.environment["CI"] == "true" else { return }
    #expect(TestDevices.ids.contains("opencl:0"), "CI needs opencl:0 (PoCL: apt-get install pocl-opencl-icd); found \(TestDevices.ids), warnings \(Registry.discover().warnings)")
}

@Test(arguments: TestDevices.ids)
func everyPrimitiveAndKernelMatchesTheInterpreter(on id: String) throws {
    let device = try TestDevices.device(id)
    let cases = try ConformanceSuite.cases(kernelsDirectory: KernelFiles.directory)
    let results = ConformanceSuite.run(cases, on: device, seed: 1)
    #expect(results.count == cases.count)
    let failures = results.filter { $0.status == .fail || $0.status == .error }
    #expect(failures.isEmpty, "\(id): \(failures.map { "\($0.name): \($0.message ?? "")" }.joined(separator: "\n"))")
    #expect(results.filter { $0.status == .pass }.count >= PrimitiveCatalog.cases.count / 2)
    #expect(results.contains { $0.kind == "kernel" && $0.status == .pass })
}
