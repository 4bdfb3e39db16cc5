import Foundation
import KernelIR
import Testing
@testable import Backends

// Capacity limits of simulated devices are typed errors: HBM allocations and run-time slots, and
// tiles that cannot fit an on-chip buffer.

/// A TPU-like device with `bytes` of HBM.
private func smallDevice(hbm bytes: Int) throws -> SimulatedDevice {
    try SimulatedTestDevice.device("tpu-v5e") { profile in
        profile.id = "tiny"
        profile.memoryBytes = bytes
    }
}

@Test func allocationsBeyondHBMAreRefused() throws {
    let tpu = try SimulatedTestDevice.device("tpu-v5e")
    let tooLarge = #expect(throws: BackendError.self) { _ = try tpu.allocate(byteCount: 17 << 30) }
    #expect(tooLarge == .allocationTooLarge("sim:tpu-v5e", requested: 17 << 30, maximum: 16 << 30))

    let device = try smallDevice(hbm: 1 << 20)
    let first = try device.allocate(byteCount: 600 << 10)
    let error = #expect(throws: BackendError.self) { _ = try device.allocate(byteCount: 600 << 10) }
    #expect(error == .outOfMemory("sim:tiny", requested: 614_400, available: 434_176))
    #expect(error?.description == "sim:tiny: out of memory: 614400 bytes requested, 434176 available. Free buffers or use a smaller batch")
    #expect(device.info.freeMemoryBytes == 434_176)
    first.free()
    first.free()
    #expect(device.info.freeMemoryBytes == 1 << 20, "freeing returns the bytes, once")
    _ = try device.allocate(byteCount: 600 << 10)
    #expect(throws: BackendError.bufferFreed("sim:tiny")) {
        try [UInt8](repeating: 0, count: 600 << 10).withUnsafeBytes { try device.copy(from: $0, to: first) }
    }
}

@Test func runsWhosePlannedBuffersExceedTheHBMLeftFail() throws {
    let builder = GraphBuilder(name: "spill")
    let x = builder.parameter(TensorType(.f32, [65_536]), name: "x")
    let t = try builder.exp(x)
    let graph = builder.build(returning: [try builder.mul(t, t), try builder.add(t, t)])
    let schedule = Fusion.schedule(graph)
    // 256 KiB of input and 512 KiB of outputs leave 256 KiB; the plan needs a slot for each value.
    let device = try smallDevice(hbm: 1 << 20)
    let executable = try device.compile(schedule)
    let input = try device.allocate(byteCount: 256 << 10)
    let outputs = try (0..<2).map { _ in try device.allocate(byteCount: 256 << 10) }
    let error = #expect(throws: BackendError.self) { try device.run(executable, inputs: [input], outputs: outputs) }
    #expect(error == .outOfMemory("sim:tiny", requested: schedule.peakBytes, available: 256 << 10))
    #expect(schedule.peakBytes > 256 << 10)
    let event = device.execute(executable, inputs: [input], outputs: outputs)
    #expect(throws: BackendError.outOfMemory("sim:tiny", requested: schedule.peakBytes, available: 256 << 10)) { try event.wait() }
}

/// A device of profile `id` whose buffer `name` holds `bytes`.
private func device(_ id: String, shrinking name: String, to bytes: Int) throws -> SimulatedDevice {
    try SimulatedTestDevice.device(id) { profile in
        profile.onChip = profile.onChip.map { buffer in
            var buffer = buffer
            if buffer.name == name { buffer.bytes = bytes }
            return buffer
        }
    }
}

@Test func aMatrixTileThatCannotFitIsACompileErrorNamingTheBuffer() throws {
    let builder = GraphBuilder(name: "g")
    let operands = [builder.parameter(TensorType(.bf16, [256, 256])), builder.parameter(TensorType(.bf16, [256, 256]))]
    let schedule = Fusion.schedule(builder.build(returning: [try builder.emit(.matmul, operands, name: "matmul")]))
    // The smallest block, 8x128x128 bf16, single-buffered: A 8·128·2 + B 128·128·2 + fp32 accumulator 8·128·4 + output 8·128·2.
    let single = 2048 + 32_768 + 4096 + 2048
    // Double-buffered it needs 2·(2048 + 32768 + 2048) + 4096 = 77824 bytes: 64 KiB holds only one copy, so
    // the kernel compiles single-buffered and its transfers no longer overlap compute.
    let tight = try device("tpu-v5e", shrinking: "VMEM", to: 64 << 10).tileProgram(for: schedule)
    let cost = tight.kernels[0].cost
    #expect(!cost.overlapsTransfers && cost.overlap == 0 && tight.kernels[0].buffers.allSatisfy { !$0.isDoubleBuffered || $0.role.contains("accumulator") })
    #expect(Swift.abs(cost.time - (cost.launch + Swift.max(cost.matrixTime, cost.vectorTime) + cost.dmaTime)) <= 1e-15)
    #expect(tight.kernels[0].peakOnChip.allSatisfy { $0.bytes <= $0.capacity })

    let tiny = try device("tpu-v5e", shrinking: "VMEM", to: 32 << 10)
    let error = #expect(throws: BackendError.self) { _ = try tiny.compile(schedule) }
    #expect(error == .tileDoesNotFit("sim:tpu-v5e", kernel: "matmul", buffer: "VMEM", required: single, capacity: 32_768,
                                     tile: "8x128x128 bf16 block, single-buffered"))
    #expect(error?.description == "sim:tpu-v5e: kernel 'matmul': the smallest tile (8x128x128 bf16 block, single-buffered) needs 40960 bytes of VMEM, "
            + "which holds 32768; split the kernel into smaller ones or use a profile with a larger VMEM")
}

@Test func aVectorTileThatCannotFitIsACompileErrorNamingTheBuffer() throws {
    let builder = GraphBuilder(name: "sum")
    let x = builder.parameter(TensorType(.f32, [64]), name: "x"), y = builder.parameter(TensorType(.f32, [64]), name: "y")
    let schedule = Fusion.schedule(builder.build(returning: [try builder.emit(.binary(.add), [x, y], name: "add")]))
    // One granule (256 B = 64 f32) of two inputs and an output is 64 · 12 = 768 bytes: 1 KiB holds one copy.
    let single = try device("ascend-910b", shrinking: "UB", to: 1024).tileProgram(for: schedule)
    #expect(!single.kernels[0].cost.overlapsTransfers && single.kernels[0].buffers[0].bytes == 768)
    let error = #expect(throws: BackendError.self) { _ = try device("ascend-910b", shrinking: "UB", to: 512).compile(schedule) }
    #expect(error == .tileDoesNotFit("sim:ascend-910b", kernel: "add", buffer: "UB", required: 768, capacity: 512,
                                     tile: "64 elements of 2 inputs and 1 output, single-buffered"))
}

@Test func buffersOfAnotherDeviceOrSizeAreRejected() throws {
    let tpu = try SimulatedTestDevice.device("tpu-v5e"), trainium = try SimulatedTestDevice.device("trainium1")
    let buffer = try trainium.allocate(byteCount: 16)
    let error = #expect(throws: BackendError.self) {
        try [UInt8](repeating: 0, count: 16).withUnsafeBytes { try tpu.copy(from: $0, to: buffer) }
    }
    #expect(error == .bufferMismatch("sim:tpu-v5e", reason: "copying 16 host bytes into a buffer of sim:trainium1; use a buffer allocated on sim:tpu-v5e"))
    let graph = try SimulatedGraphs.matmul(TensorType(.f32, [2, 2]), TensorType(.f32, [2, 2]))
    let executable = try trainium.compile(Fusion.schedule(graph))
    let wrongDevice = #expect(throws: BackendError.self) { try tpu.run(executable, inputs: [], outputs: []) }
    #expect(wrongDevice == .bufferMismatch("sim:tpu-v5e", reason: "the executable was compiled for sim:trainium1, not sim:tpu-v5e; compile the schedule for sim:tpu-v5e"))
    let wrongSize = #expect(throws: BackendError.self) { try trainium.run(executable, inputs: [buffer, buffer], outputs: [try trainium.allocate(byteCount: 8)]) }
    #expect(wrongSize == .bufferMismatch("sim:trainium1", reason: "output 0 of 'mm' is f32[2, 2] (16 bytes), but the buffer holds 8 bytes"))
}
