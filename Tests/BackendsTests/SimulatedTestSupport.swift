import Foundation
import KernelIR
import Testing
@testable import Backends

/// The shipped profiles and devices opened from them (or from variants a test edits).
enum SimulatedTestDevice {
    /// The ids of the three shipped profiles.
    static let profileIDs = ["ascend-910b", "tpu-v5e", "trainium1"]

    /// The shipped profile `id`.
    static func profile(_ id: String) throws -> DeviceProfile {
        try #require(ProfileCatalog.bundled().profiles.first { $0.id == id }, "no bundled profile \(id)")
    }

    /// A fresh device for the shipped profile `id`, or for it after `edit`.
    static func device(_ id: String, edit: (inout DeviceProfile) -> Void = { _ in }) throws -> SimulatedDevice {
        var profile = try profile(id)
        edit(&profile)
        return SimulatedDevice(profile: profile)
    }

    /// The JSON object of the shipped profile `id`, to edit and write back for loader tests.
    static func json(_ id: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: try profile(id).file))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A new empty directory under the temporary directory.
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acc-sim-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// Moving tensors through a simulated device and running schedules on it.
extension SimulatedDevice {
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

    /// Compiles `graph`'s schedule, runs it on `inputs` (through the queue when `asynchronously`),
    /// and returns the results.
    func evaluate(_ graph: Graph, on inputs: [TensorValue], asynchronously: Bool = false) throws -> [TensorValue] {
        let schedule = Fusion.schedule(graph)
        let executable = try compile(schedule)
        let inputBuffers = try inputs.map { try buffer(holding: $0) }
        let outputBuffers = try schedule.outputs.map { try allocate(byteCount: $0.type.byteCount) }
        if asynchronously {
            try execute(executable, inputs: inputBuffers, outputs: outputBuffers).wait()
        } else {
            try run(executable, inputs: inputBuffers, outputs: outputBuffers)
        }
        return try zip(outputBuffers, schedule.outputs).map { try value(of: $0, as: $1.type) }
    }
}

/// Small graphs for numerics tests.
enum SimulatedGraphs {
    /// `a @ b` for parameters of the given types.
    static func matmul(_ a: TensorType, _ b: TensorType) throws -> Graph {
        let builder = GraphBuilder(name: "mm")
        let x = builder.parameter(a, name: "a"), y = builder.parameter(b, name: "b")
        return builder.build(returning: [try builder.matmul(x, y)])
    }

    /// A tensor of `type` holding `scalars` (rounded to its dtype).
    static func tensor(_ type: TensorType, _ scalars: [Double]) -> TensorValue { TensorValue(converting: scalars, to: type) }
}
