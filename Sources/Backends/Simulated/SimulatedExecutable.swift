import KernelIR

/// A schedule compiled for a simulated device: its tile program with the modeled cost of a run,
/// and the kernel bodies it runs on the host with the device's numerics.
///
/// Immutable after init, so many threads may run it at once.
public final class SimulatedExecutable: Executable {
    /// The device it was compiled for.
    public let device: DeviceID
    /// The schedule it runs.
    public let schedule: Schedule
    /// How each kernel is tiled, and what it would cost on the device (modeled).
    public let tileProgram: TileProgram
    let interpreter: SimulatedInterpreter

    /// Lowers `schedule` for `profile`.
    /// - Throws: ``BackendError/invalidProgram(_:_:)`` for a schedule whose kernels do not fit its
    ///   buffers, ``BackendError/tileDoesNotFit(_:kernel:buffer:required:capacity:tile:)`` for a
    ///   kernel whose smallest tile overflows an on-chip buffer.
    init(schedule: Schedule, profile: DeviceProfile) throws(BackendError) {
        device = profile.deviceID
        // The same structural check the CPU device makes: no schedule, however built, reads or
        // writes a buffer that cannot hold what the kernel says.
        try CPUExecutable.validate(schedule, device: device)
        self.schedule = schedule
        tileProgram = try TileLowering(profile: profile).lower(schedule)
        interpreter = SimulatedInterpreter(numerics: DeviceNumerics(profile: profile))
    }

    /// The modeled cost of one run: time, cycles, HBM traffic, utilization (modeled, not measured).
    public var modeledCost: RunCost { tileProgram.cost }

    /// Runs every kernel in order on values decoded from `inputs`, and writes the results into
    /// `outputs`. The planned slots are charged to `ledger` for the run.
    /// - Throws: ``BackendError/outOfMemory(_:requested:available:)`` when the slots do not fit in
    ///   the HBM left, ``BackendError/bufferFreed(_:)``, and ``BackendError/executionFailed(_:kernel:reason:)``
    ///   when a kernel finds a buffer holding the wrong type.
    func run(inputs: [SimulatedBuffer], outputs: [SimulatedBuffer], ledger: MemoryLedger) throws(BackendError) {
        let slots = schedule.peakBytes
        if case let .failure(available) = ledger.reserve(slots) {
            throw .outOfMemory(device, requested: slots, available: available.bytes)
        }
        defer { ledger.release(slots) }
        var values: [BufferID: TensorValue] = [:]
        for (index, buffer) in inputs.enumerated() {
            let type = schedule.inputTypes[index]
            values[BufferID(index: index)] = try buffer.withBytes { bytes throws(BackendError) in Self.decode(bytes, type) }
        }
        for (position, kernel) in schedule.kernels.enumerated() {
            var arguments: [TensorValue] = []
            for (buffer, parameter) in zip(kernel.inputs, kernel.body.parameters) {
                guard let value = values[buffer], value.type == parameter.type else {
                    throw .executionFailed(device, kernel: kernel.body.name,
                                           reason: "kernel #\(position) reads \(buffer) as \(parameter.type), but it holds \(values[buffer].map(\.type.description) ?? "nothing")")
                }
                arguments.append(value)
            }
            values[kernel.output] = interpreter.run(kernel.body, inputs: arguments)
        }
        for (index, output) in schedule.outputs.enumerated() {
            guard let value = values[output.buffer], value.type == output.type else {
                throw .executionFailed(device, kernel: schedule.name, reason: "result \(index) in \(output.buffer) is not a \(output.type)")
            }
            try outputs[index].withBytes { bytes throws(BackendError) in Self.encode(value, into: bytes) }
        }
    }

    /// The tensor a buffer of `type` holds; f32 is read directly, other dtypes as KernelIR decodes them.
    static func decode(_ bytes: UnsafeMutableRawBufferPointer, _ type: TensorType) -> TensorValue {
        guard type.dtype == .f32 else { return TensorValue(deviceBytes: UnsafeRawBufferPointer(bytes), type: type) }
        var scalars = [Double](repeating: 0, count: type.elementCount)
        scalars.withUnsafeMutableBufferPointer { output in
            for index in 0..<output.count { output[index] = Double(bytes.load(fromByteOffset: 4 * index, as: Float.self)) }
        }
        return TensorValue(type, scalars: scalars)
    }

    /// Writes `value` as devices store it; f32 directly, other dtypes as KernelIR encodes them.
    static func encode(_ value: TensorValue, into bytes: UnsafeMutableRawBufferPointer) {
        guard value.dtype == .f32 else { return value.copyDeviceBytes(to: bytes) }
        value.scalars.withUnsafeBufferPointer { input in
            for index in 0..<input.count { bytes.storeBytes(of: Float(input[index]), toByteOffset: 4 * index, as: Float.self) }
        }
    }
}
