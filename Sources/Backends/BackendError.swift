import KernelIR

/// Why a backend could not do what was asked. Each case names the device and carries what its
/// message needs; ``description`` says what is wrong and what to try.
public enum BackendError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No device has this id.
    case unknownDevice(DeviceID, known: [DeviceID])
    /// An allocation larger than the device can make at once.
    case allocationTooLarge(DeviceID, requested: Int, maximum: Int)
    /// The device has too little free memory.
    case outOfMemory(DeviceID, requested: Int, available: Int)
    /// A buffer used after it was freed.
    case bufferFreed(DeviceID)
    /// A buffer of the wrong size or from another device.
    case bufferMismatch(DeviceID, reason: String)
    /// Generated code did not compile; `log` is the compiler's output, `source` where the code was saved.
    case compilationFailed(DeviceID, kernel: String, log: String, source: String)
    /// A kernel failed while running.
    case executionFailed(DeviceID, kernel: String, reason: String)
    /// The device stopped responding; other devices stay usable.
    case deviceLost(DeviceID, reason: String)
    /// A program the device's compiler rejected, e.g. an IR error found while lowering.
    case invalidProgram(DeviceID, KIRError)
    /// Something this backend does not support yet.
    case notImplemented(DeviceID, String)
    /// A kernel whose smallest tile does not fit an on-chip buffer of a simulated device.
    case tileDoesNotFit(DeviceID, kernel: String, buffer: String, required: Int, capacity: Int, tile: String)
    /// A simulated-device profile that cannot be used; `field` is the JSON path of the fault.
    case invalidProfile(file: String, field: String?, reason: String)

    public var description: String {
        switch self {
        case let .unknownDevice(id, known):
            "unknown device '\(id)'; known devices: \(known.map(\.rawValue).joined(separator: ", "))"
        case let .allocationTooLarge(id, requested, maximum):
            "\(id): cannot allocate \(requested) bytes in one buffer; the device's limit is \(maximum) bytes. Split the tensor or use a smaller batch"
        case let .outOfMemory(id, requested, available):
            "\(id): out of memory: \(requested) bytes requested, \(available) available. Free buffers or use a smaller batch"
        case let .bufferFreed(id):
            "\(id): the buffer was freed earlier and cannot be used"
        case let .bufferMismatch(id, reason):
            "\(id): \(reason)"
        case let .compilationFailed(id, kernel, log, source):
            "\(id): kernel '\(kernel)' failed to compile (source saved at \(source)):\n\(log)"
        case let .executionFailed(id, kernel, reason):
            "\(id): kernel '\(kernel)' failed: \(reason)"
        case let .deviceLost(id, reason):
            "\(id): device lost: \(reason); other devices are unaffected"
        case let .invalidProgram(id, error):
            "\(id): invalid program: \(error)"
        case let .notImplemented(id, feature):
            "\(id): not implemented: \(feature)"
        case let .tileDoesNotFit(id, kernel, buffer, required, capacity, tile):
            "\(id): kernel '\(kernel)': the smallest tile (\(tile)) needs \(required) bytes of \(buffer), which holds \(capacity); "
                + "split the kernel into smaller ones or use a profile with a larger \(buffer)"
        case let .invalidProfile(file, field, reason):
            "\(file): " + (field.map { "field '\($0)': " } ?? "") + "\(reason); the profile is skipped"
        }
    }
}
