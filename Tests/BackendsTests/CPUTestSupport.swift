import Foundation
import KernelIR
import Testing
@testable import Backends

/// The CPU devices tests use: the shared `cpu:0` from discovery, or a private one for tests that
/// change a device's state (failure injection) and must not disturb tests running beside them.
enum CPUTestDevice {
    /// The first discovered CPU device.
    static func shared() throws -> CPUDevice {
        try #require(CPUBackend().discover().devices.first as? CPUDevice, "discovery found no CPU device")
    }

    /// A new device over the whole machine with id `cpu:<node>`, whose memory is not NUMA-bound
    /// below ``NodeMemory/numaThreshold`` bytes; loop kernels come from `makeLoopKernels`.
    static func isolated(node: Int = 0, makeLoopKernels: @escaping LoopKernelFactory = interpretedLoopKernels) -> CPUDevice {
        let cores = CPUTopology.allowedCPUs()
        let memoryBytes = 1 << 30
        let node = CPUNode(node: node, cpus: cores.isEmpty ? [0] : cores, memoryBytes: memoryBytes, freeMemoryBytes: memoryBytes)
        return CPUDevice(node: node, info: CPUBackend.info(for: node, host: CPUHostInfo.parse(cpuinfo: "")), makeLoopKernels: makeLoopKernels)
    }
}

/// Moving tensors through a device and running schedules on it.
extension Device {
    /// A buffer holding `value` as devices store it.
    func buffer(holding value: TensorValue) throws -> any Buffer {
        let buffer = try allocate(byteCount: value.type.byteCount)
        try value.deviceBytes.withUnsafeBytes { bytes in try copy(from: bytes, to: buffer) }
        return buffer
    }

    /// The tensor of `type` that `buffer` holds.
    func value(of buffer: any Buffer, as type: TensorType) throws -> TensorValue {
        var bytes = [UInt8](repeating: 0, count: type.byteCount)
        try bytes.withUnsafeMutableBytes { target in try copy(from: buffer, to: target) }
        return bytes.withUnsafeBytes { TensorValue(deviceBytes: $0, type: type) }
    }

    /// Compiles `schedule`, runs it on `inputs` through ``execute(_:inputs:outputs:)`` (or the
    /// synchronous ``run(_:inputs:outputs:)``), and reads the results back.
    func evaluate(_ schedule: Schedule, on inputs: [TensorValue], synchronously: Bool = false) throws -> [TensorValue] {
        let executable = try compile(schedule)
        return try evaluate(executable, on: inputs, synchronously: synchronously)
    }

    /// Runs a compiled executable on `inputs` and reads the results back.
    func evaluate(_ executable: any Executable, on inputs: [TensorValue], synchronously: Bool = false) throws -> [TensorValue] {
        let inputBuffers = try inputs.map { try buffer(holding: $0) }
        let outputTypes = executable.schedule.outputs.map(\.type)
        let outputBuffers = try outputTypes.map { try allocate(byteCount: $0.byteCount) }
        if synchronously {
            try run(executable, inputs: inputBuffers, outputs: outputBuffers)
        } else {
            try execute(executable, inputs: inputBuffers, outputs: outputBuffers).wait()
        }
        return try zip(outputBuffers, outputTypes).map { try value(of: $0, as: $1) }
    }
}

/// Checks a device's results against the interpreter's.
func expectMatches(_ got: [TensorValue], _ want: [TensorValue], reductionLength: Int, _ comment: String,
                   sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(got.count == want.count, "\(comment): \(got.count) results, expected \(want.count)", sourceLocation: sourceLocation)
    for (index, (g, w)) in zip(got, want).enumerated() {
        let mismatches = Tolerance(for: w.dtype, reductionLength: reductionLength).mismatches(g, w)
        #expect(mismatches.isEmpty, "\(comment), result \(index): \(mismatches.joined(separator: "; "))", sourceLocation: sourceLocation)
    }
}

/// Seeded test inputs: a hash of the element index, no generator state and no clock.
enum TestInputs {
    /// Inputs for `graph`: floats uniform in [-2, 2) (or [0.25, 2.25) when `positive`, for log and
    /// sqrt), rounded to their dtype; `i32` in -5...5; `bool` half true.
    static func random(for graph: Graph, positive: Bool = false, seed: Int) -> [TensorValue] {
        graph.parameters.enumerated().map { position, parameter in
            let scalars = (0..<parameter.type.elementCount).map { index -> Double in
                var hash = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: seed &* 7919 &+ position) &* 0xBF58_476D_1CE4_E5B9
                hash ^= hash >> 31
                hash = hash &* 0x94D0_49BB_1331_11EB
                hash ^= hash >> 29
                let uniform = Double(hash >> 11) * 0x1p-53
                switch parameter.type.dtype {
                case .bool: return uniform < 0.5 ? 0 : 1
                case .i32: return (uniform * 11).rounded(.down) - 5
                case .f32, .f16, .bf16: return positive ? uniform * 2 + 0.25 : uniform * 4 - 2
                }
            }
            return TensorValue(converting: scalars, to: parameter.type)
        }
    }
}
