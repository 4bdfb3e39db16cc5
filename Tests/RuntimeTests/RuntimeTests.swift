import Testing
@testable import Backends
@testable import KernelIR
@testable import Runtime

@Test func runtimeReportsItsVersionAndLibraries() {
    #expect(Runtime.version.split(separator: ".").count == 3)
    #expect(Runtime.systemLibraries.openBLASConfiguration.contains("OpenBLAS"))
}

@Test func cpuZeroIsAlwaysThere() throws {
    let device = try Runtime.device("cpu:0")
    #expect(device.info.backend == "cpu")
    #expect(device.info.computeUnits >= 1)
}

@Test func unknownDeviceListsTheKnownOnes() {
    let error = #expect(throws: RuntimeError.self) { try Runtime.device("tpu:7") }
    let known = Runtime.devices.map(\.id.rawValue).joined(separator: ", ")
    #expect(error?.description == "unknown device 'tpu:7'; known devices: \(known)")
}

private func affineGraph() throws -> Graph {
    let builder = GraphBuilder(name: "affine")
    let x = builder.parameter(TensorType(.f32, [3]), name: "x")
    return builder.build(returning: [try builder.add(builder.mul(x, x), x)])
}

@Test func compiledFunctionsRunOnHostArraysAndAreCached() throws {
    let device = try Runtime.device("cpu:0")
    let graph = try affineGraph()
    let before = CompileCache.shared.statistics
    let function = try device.compile(graph)
    let again = try device.compile(graph)
    #expect(function === again)
    let after = CompileCache.shared.statistics
    #expect(after.hits - before.hits >= 1)
    let output = try function([TensorValue(TensorType(.f32, [3]), scalars: [1, 2, -3])])
    #expect(output[0].scalars == [2, 6, 6])
}

@Test func deviceArraysStayOnTheDevice() throws {
    let device = try Runtime.device("cpu:0")
    let function = try device.compile(try affineGraph())
    let input = try DeviceArray(TensorValue(TensorType(.f32, [3]), scalars: [1, 2, 3]), on: device)
    let first = try function.run([input])
    let second = try function.run(first)
    #expect(try second[0].toHost().scalars == [6, 42, 156])
    let pending = try function.start([input])
    try pending.event.wait()
    #expect(try pending.arrays[0].toHost().scalars == [2, 6, 12])
}

@Test func wrongInputsAndFreedArraysAreTypedErrors() throws {
    let device = try Runtime.device("cpu:0")
    let function = try device.compile(try affineGraph())
    let error = #expect(throws: RuntimeError.self) { try function([TensorValue(TensorType(.f32, [4]), scalars: [1, 2, 3, 4])]) }
    #expect(error?.description == "@affine: takes (f32[3]), got (f32[4])")
    let array = try DeviceArray(TensorValue(TensorType(.f32, [3]), scalars: [1, 2, 3]), on: device)
    array.free()
    #expect(throws: RuntimeError.backend(.bufferFreed(device.id))) { try array.toHost() }
}

@Test func malformedGraphsAreRejectedBeforeReachingTheDevice() throws {
    let device = try Runtime.device("cpu:0")
    var graph = try affineGraph()
    graph.instructions[0].type = TensorType(.f16, [3])
    #expect(throws: RuntimeError.self) { try device.compile(graph) }
}
