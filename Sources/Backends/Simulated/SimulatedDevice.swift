import Dispatch
import Foundation
import KernelIR

/// A simulated accelerator (`sim:tpu-v5e`, ...): runs schedules on the host with the profile's
/// numerics, lowers them to tile programs with a modeled cost, and holds its buffers to the
/// profile's HBM capacity.
///
/// ``execute(_:inputs:outputs:)`` runs in submission order on the device's serial queue;
/// ``run(_:inputs:outputs:)`` runs on the calling thread.
public final class SimulatedDevice: Device {
    /// The device's id, `sim:<profile id>`.
    public let id: DeviceID
    /// The profile it simulates.
    public let profile: DeviceProfile
    let ledger: MemoryLedger
    private let queue: DispatchQueue

    /// Opens a device for `profile` with all of its HBM free.
    public init(profile: DeviceProfile) {
        id = profile.deviceID
        self.profile = profile
        ledger = MemoryLedger(capacity: profile.memoryBytes)
        queue = DispatchQueue(label: "acc.\(profile.deviceID)", qos: .userInitiated)
    }

    /// What the device reports: the profile's figures, marked simulated, and the tolerances
    /// its numerics call for (``DeviceInfo/tolerance(for:reductionLength:contracting:)``).
    public var info: DeviceInfo { SimulatedDevice.info(for: profile, freeBytes: ledger.availableBytes) }

    /// A buffer of `byteCount` bytes charged to the device's HBM, uninitialised.
    /// - Throws: ``BackendError/allocationTooLarge(_:requested:maximum:)`` beyond the profile's HBM
    ///   (or for a negative size), ``BackendError/outOfMemory(_:requested:available:)`` when the
    ///   HBM left is too small or the host cannot back the buffer.
    public func allocate(byteCount: Int) throws(BackendError) -> any Buffer {
        guard byteCount >= 0, byteCount <= profile.memoryBytes else {
            throw .allocationTooLarge(id, requested: byteCount, maximum: profile.memoryBytes)
        }
        if case let .failure(available) = ledger.reserve(byteCount) {
            throw .outOfMemory(id, requested: byteCount, available: available.bytes)
        }
        guard let pointer = malloc(Swift.max(byteCount, 1)) else {
            ledger.release(byteCount)
            throw .outOfMemory(id, requested: byteCount, available: 0)
        }
        return SimulatedBuffer(device: id, byteCount: byteCount, pointer: pointer, ledger: ledger)
    }

    /// Copies host bytes into `buffer`.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for another device's buffer or a size
    ///   that differs, ``BackendError/bufferFreed(_:)`` for a freed one.
    public func copy(from bytes: UnsafeRawBufferPointer, to buffer: any Buffer) throws(BackendError) {
        try own(buffer, byteCount: bytes.count, direction: "copying \(bytes.count) host bytes into").withBytes { target throws(BackendError) in
            if let source = bytes.baseAddress, let base = target.baseAddress { base.copyMemory(from: source, byteCount: bytes.count) }
        }
    }

    /// Copies `buffer`'s bytes to the host.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for another device's buffer or a size
    ///   that differs, ``BackendError/bufferFreed(_:)`` for a freed one.
    public func copy(from buffer: any Buffer, to bytes: UnsafeMutableRawBufferPointer) throws(BackendError) {
        try own(buffer, byteCount: bytes.count, direction: "copying into \(bytes.count) host bytes from").withBytes { source throws(BackendError) in
            if let target = bytes.baseAddress, let base = source.baseAddress { target.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    /// Compiles `schedule`: checks it, lowers it to tiles and models its cost.
    /// - Throws: ``BackendError/invalidProgram(_:_:)`` for a malformed schedule,
    ///   ``BackendError/tileDoesNotFit(_:kernel:buffer:required:capacity:tile:)`` when a kernel's
    ///   smallest tile overflows an on-chip buffer.
    public func compile(_ schedule: Schedule) throws(BackendError) -> any Executable {
        try SimulatedExecutable(schedule: schedule, profile: profile)
    }

    /// The tile program of `schedule` on this device: what `acctl compile --emit tiles` prints.
    /// - Throws: what ``compile(_:)`` throws.
    public func tileProgram(for schedule: Schedule) throws(BackendError) -> TileProgram {
        try SimulatedExecutable(schedule: schedule, profile: profile).tileProgram
    }

    /// Enqueues a run on the device's serial queue and returns at once; the event reports the
    /// errors ``run(_:inputs:outputs:)`` throws.
    public func execute(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) -> Event {
        do throws(BackendError) {
            _ = try bind(executable, inputs: inputs, outputs: outputs)
        } catch {
            return Event.completed(error: error)
        }
        let event = Event()
        queue.async { [self] in
            do throws(BackendError) {
                try run(executable, inputs: inputs, outputs: outputs)
                event.complete()
            } catch {
                event.complete(error: error)
            }
        }
        return event
    }

    /// Runs `executable` on the calling thread and returns when the outputs are written.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for a wrong executable or wrong
    ///   buffers, ``BackendError/bufferFreed(_:)``, ``BackendError/outOfMemory(_:requested:available:)``
    ///   when the schedule's planned buffers do not fit in the HBM left.
    public func run(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) throws(BackendError) {
        let (compiled, inputBuffers, outputBuffers) = try bind(executable, inputs: inputs, outputs: outputs)
        try compiled.run(inputs: inputBuffers, outputs: outputBuffers, ledger: ledger)
    }

    private func bind(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer])
        throws(BackendError) -> (SimulatedExecutable, [SimulatedBuffer], [SimulatedBuffer]) {
        guard let compiled = executable as? SimulatedExecutable, compiled.device == id else {
            throw .bufferMismatch(id, reason: "the executable was compiled for \(executable.device), not \(id); compile the schedule for \(id)")
        }
        let schedule = compiled.schedule
        guard inputs.count == schedule.inputTypes.count, outputs.count == schedule.outputs.count else {
            throw .bufferMismatch(id, reason: "'\(schedule.name)' takes \(schedule.inputTypes.count) input and \(schedule.outputs.count) output buffers, got \(inputs.count) and \(outputs.count)")
        }
        var inputBuffers: [SimulatedBuffer] = []
        for (index, buffer) in inputs.enumerated() {
            inputBuffers.append(try own(buffer, type: schedule.inputTypes[index], role: "input \(index) of '\(schedule.name)'"))
        }
        var outputBuffers: [SimulatedBuffer] = []
        for (index, buffer) in outputs.enumerated() {
            outputBuffers.append(try own(buffer, type: schedule.outputs[index].type, role: "output \(index) of '\(schedule.name)'"))
        }
        return (compiled, inputBuffers, outputBuffers)
    }

    private func own(_ buffer: any Buffer, type: TensorType, role: String) throws(BackendError) -> SimulatedBuffer {
        guard let owned = buffer as? SimulatedBuffer, owned.device == id else {
            throw .bufferMismatch(id, reason: "\(role) is a buffer of \(buffer.device); copy it to \(id) first")
        }
        guard owned.byteCount == type.byteCount else {
            throw .bufferMismatch(id, reason: "\(role) is \(type) (\(type.byteCount) bytes), but the buffer holds \(owned.byteCount) bytes")
        }
        return owned
    }

    private func own(_ buffer: any Buffer, byteCount: Int, direction: String) throws(BackendError) -> SimulatedBuffer {
        guard let owned = buffer as? SimulatedBuffer, owned.device == id else {
            throw .bufferMismatch(id, reason: "\(direction) a buffer of \(buffer.device); use a buffer allocated on \(id)")
        }
        guard owned.byteCount == byteCount else {
            throw .bufferMismatch(id, reason: "\(direction) a buffer of \(owned.byteCount) bytes; the sizes must match")
        }
        return owned
    }
}
