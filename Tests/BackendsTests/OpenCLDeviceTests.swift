import COpenCL
import Foundation
import KernelIR
import Testing
@testable import Backends

// The OpenCL device on whatever driver is installed (PoCL in CI): discovery, memory limits,
// build failures, the program cache, lost devices, and ordering of asynchronous runs.

private let needsOpenCL = Testing.ConditionTrait.enabled(if: OpenCLTestDevice.isPresent || ProcessInfo.processInfo.environment["CI"] == "true",
                                                         "no OpenCL device (install pocl-opencl-icd)")

@Test(needsOpenCL) func discoveryReportsWhatTheDriverSays() throws {
    let device = try OpenCLTestDevice.shared()
    #expect(device.id == "opencl:0")
    #expect(device.info.backend == "opencl")
    #expect(device.info.computeUnits > 0 && device.info.memoryBytes > 0)
    for key in ["vendor", "driver", "OpenCL C", "platform", "clock", "local memory", "max allocation", "max work-group size", "fp16", "fp64"] {
        #expect(device.info.details[key] != nil, "missing \(key) in \(device.info.details)")
    }
    #expect(device.info.dtypes == ["f32", "f16", "bf16", "i32", "bool"])
}

@Test(needsOpenCL) func aBrokenPlatformIsSkippedAndTheOthersStillOpen() throws {
    let platform = try #require(try OpenCLBackend.platformIDs().get().first)
    var calls = 0
    let found = OpenCLBackend.discover(platforms: .success([platform, platform])) { platform in
        calls += 1
        return calls == 1 ? .failure(OpenCLDiscoveryProblem(reason: "clGetDeviceIDs failed with CL_INVALID_PLATFORM (-32)")) : OpenCLBackend.deviceIDs(of: platform)
    }
    #expect(found.devices.map(\.id) == ["opencl:0"])
    #expect(found.warnings.count == 1)
    #expect(found.warnings.first?.hasSuffix("skipped: clGetDeviceIDs failed with CL_INVALID_PLATFORM (-32)") == true)
    let none = OpenCLBackend.discover(platforms: .failure(OpenCLDiscoveryProblem(reason: "the ICD loader failed"))) { _ in .success([]) }
    #expect(none.devices.isEmpty)
    #expect(none.warnings == ["OpenCL: the ICD loader failed"])
}

@Test(needsOpenCL) func allocationsBeyondTheDeviceLimitAreTypedErrors() throws {
    let device = try OpenCLTestDevice.shared()
    let maximum = device.properties.maximumAllocationBytes
    let error = #expect(throws: BackendError.self) { try device.allocate(byteCount: maximum + 1) }
    #expect(error == .allocationTooLarge("opencl:0", requested: maximum + 1, maximum: maximum))
    #expect(error?.description == "opencl:0: cannot allocate \(maximum + 1) bytes in one buffer; the device's limit is \(maximum) bytes. Split the tensor or use a smaller batch")
    #expect(throws: BackendError.allocationTooLarge("opencl:0", requested: -1, maximum: maximum)) { try device.allocate(byteCount: -1) }
    let buffer = try device.allocate(byteCount: 16)
    buffer.free()
    #expect(throws: BackendError.bufferFreed("opencl:0")) {
        try [UInt8](repeating: 0, count: 16).withUnsafeBytes { try device.copy(from: $0, to: buffer) }
    }
}

@Test(needsOpenCL) func aKernelThatFailsToBuildReportsTheLogAndTheSavedSource() throws {
    let (device, cache) = try OpenCLTestDevice.isolated()
    defer { try? FileManager.default.removeItem(at: cache) }
    let source = "__kernel void broken(__global float *x) { x[0] = undeclared_name; }\n"
    let error = #expect(throws: BackendError.self) { try device.buildProgram(source: source, label: "broken") }
    guard case let .compilationFailed(id, kernel, log, path)? = error else { return }
    #expect(id == "opencl:9" && kernel == "broken")
    #expect(log.hasPrefix("clBuildProgram failed with CL_BUILD_PROGRAM_FAILURE (-11)"))
    #expect(log.contains("undeclared_name"), "the driver's build log: \(log)")
    #expect(path.hasPrefix(cache.path) && path.hasSuffix(".cl"))
    #expect(try String(contentsOfFile: path, encoding: .utf8) == source)
    #expect(error?.description.hasPrefix("opencl:9: kernel 'broken' failed to compile (source saved at \(path)):\nclBuildProgram failed") == true)
}

private func softmaxSchedule() throws -> (schedule: Schedule, graph: Graph) {
    let graph = try #require(try KernelFiles.module("softmax.kir").functions.first)
    return (Fusion.schedule(graph), graph)
}

@Test(needsOpenCL) func programBinariesAreCachedAndRebuiltWhenCorrupt() throws {
    let (first, cache) = try OpenCLTestDevice.isolated()
    defer { try? FileManager.default.removeItem(at: cache) }
    let (schedule, graph) = try softmaxSchedule()
    let inputs = PrimitiveCase(name: "softmax", graph: graph, domain: .signed).inputs(seed: 2)
    let expected = try Interpreter().run(graph, inputs: inputs)
    let built = try #require(try first.compile(schedule) as? OpenCLExecutable)
    #expect(!built.program.isCacheHit)
    let binaries = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".bin") }
    #expect(binaries.count == 1)

    let (second, _) = try OpenCLTestDevice.isolated(environment: ["ACC_OPENCL_CACHE_DIR": cache.path])
    let cached = try #require(try second.compile(schedule) as? OpenCLExecutable)
    #expect(cached.program.isCacheHit)
    expectMatches(try ConformanceSuite.evaluate(cached, on: inputs, device: second), expected, reductionLength: 3, "from the cached binary")

    // A corrupt binary (it no longer matches its manifest) is rebuilt from source and replaced.
    let binary = cache.appendingPathComponent(try #require(binaries.first))
    try Data("not a program".utf8).write(to: binary)
    let rebuilt = try #require(try second.compile(schedule) as? OpenCLExecutable)
    #expect(!rebuilt.program.isCacheHit)
    expectMatches(try ConformanceSuite.evaluate(rebuilt, on: inputs, device: second), expected, reductionLength: 3, "rebuilt")
    #expect(try #require(try second.compile(schedule) as? OpenCLExecutable).program.isCacheHit)
}

@Test(needsOpenCL) func aLostDeviceFailsWithATypedErrorAndOtherDevicesStayUsable() throws {
    let (device, cache) = try OpenCLTestDevice.isolated()
    defer { try? FileManager.default.removeItem(at: cache) }
    let (schedule, graph) = try softmaxSchedule()
    let inputs = PrimitiveCase(name: "softmax", graph: graph, domain: .signed).inputs(seed: 5)
    let executable = try device.compile(schedule)
    device.simulateFailure("the driver reset the GPU")
    let error = #expect(throws: BackendError.self) { try ConformanceSuite.evaluate(executable, on: inputs, device: device) }
    #expect(error == .deviceLost("opencl:9", reason: "the driver reset the GPU"))
    #expect(error?.description == "opencl:9: device lost: the driver reset the GPU; other devices are unaffected")
    let cpu = try CPUTestDevice.shared()
    expectMatches(try cpu.results(of: schedule, on: inputs), try Interpreter().run(graph, inputs: inputs), reductionLength: 3, "cpu:0 while opencl:9 is lost")
    device.simulateFailure(nil)
    expectMatches(try ConformanceSuite.evaluate(executable, on: inputs, device: device), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: 3, "opencl:9 healed")
}

@Test(needsOpenCL) func runsEnqueuedWithoutWaitingExecuteInOrder() throws {
    let device = try OpenCLTestDevice.shared()
    let builder = GraphBuilder(name: "step")
    let type = TensorType(.f32, [1000])
    let x = builder.parameter(type, name: "x")
    let executable = try device.compile(Fusion.schedule(builder.build(returning: [try builder.add(try builder.mul(x, x), x)])))
    let start = (0..<1000).map { Double($0 % 7) * 0.125 }
    let first = try device.allocate(byteCount: type.byteCount), second = try device.allocate(byteCount: type.byteCount)
    try TensorValue(converting: start, to: type).deviceBytes.withUnsafeBytes { try device.copy(from: $0, to: first) }
    // x -> x*x + x, five times, ping-ponging between two buffers, without waiting in between.
    var events: [Event] = []
    for step in 0..<5 {
        let (source, target) = step % 2 == 0 ? (first, second) : (second, first)
        events.append(device.execute(executable, inputs: [source], outputs: [target]))
    }
    for event in events { try event.wait() }
    var bytes = [UInt8](repeating: 0, count: type.byteCount)
    try bytes.withUnsafeMutableBytes { try device.copy(from: second, to: $0) }
    var expected = start.map { Double(Float($0)) }
    for _ in 0..<5 { expected = expected.map { Double(Float(Float($0) * Float($0)) + Float($0)) } }
    let got = bytes.withUnsafeBytes { TensorValue(deviceBytes: $0, type: type) }
    expectMatches([got], [TensorValue(converting: expected, to: type)], reductionLength: 1, "five chained runs")
}
