import Foundation
import KernelIR
import Testing
@testable import Backends

/// OpenCL devices for tests: the shared `opencl:0`, or a private instance of the same hardware
/// (its own context, queue, cache directory and failure switch) for tests that change state.
enum OpenCLTestDevice {
    /// Whether an OpenCL device is present; CI requires one.
    static let isPresent = !OpenCLBackend().discover().devices.isEmpty

    /// The first discovered OpenCL device.
    static func shared() throws -> OpenCLDevice {
        try #require(OpenCLBackend().discover().devices.first as? OpenCLDevice, "discovery found no OpenCL device")
    }

    /// A new instance of the first OpenCL device whose caches live in a fresh temporary directory,
    /// with `environment` added to what it reads.
    static func isolated(environment extra: [String: String] = [:]) throws -> (device: OpenCLDevice, cache: URL) {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("acc-opencl-test-\(UUID().uuidString)", isDirectory: true)
        var environment = ProcessInfo.processInfo.environment
        environment["ACC_OPENCL_CACHE_DIR"] = cache.path
        environment.merge(extra) { _, new in new }
        let platform = try #require(try OpenCLBackend.platformIDs().get().first)
        let handle = try #require(try OpenCLBackend.deviceIDs(of: platform).get().first)
        let device = try OpenCLDevice.open(handle, platform: platform, id: "opencl:9", environment: environment).get()
        return (device, cache)
    }
}

extension Device {
    /// Compiles `schedule`, runs it on `inputs` and reads the results back.
    func results(of schedule: Schedule, on inputs: [TensorValue]) throws -> [TensorValue] {
        try ConformanceSuite.evaluate(try compile(schedule), on: inputs, device: self)
    }
}
