import Backends
import KernelIR

/// A typed tensor living in a device buffer: the runtime's currency between compiled functions,
/// so parameters and optimizer state stay on the device between steps.
public struct DeviceArray: Sendable {
    /// The element type and shape.
    public let type: TensorType
    /// The device holding it.
    public let device: any Device
    /// The memory.
    public let buffer: any Buffer

    /// Copies a host array to `device`.
    /// - Throws: ``RuntimeError/backend(_:)`` when allocation or the copy fails.
    public init(_ value: TensorValue, on device: any Device) throws(RuntimeError) {
        try self.init(uninitialized: value.type, on: device)
        let bytes = value.deviceBytes
        let buffer = self.buffer
        let copied: Result<Void, BackendError> = bytes.withUnsafeBytes { raw in
            do throws(BackendError) { return .success(try device.copy(from: raw, to: buffer)) } catch { return .failure(error) }
        }
        if case let .failure(error) = copied { throw .backend(error) }
        RuntimeCounters.record(\.hostToDeviceTransfers)
    }

    /// Allocates an array whose contents are unspecified until something writes it.
    public init(uninitialized type: TensorType, on device: any Device) throws(RuntimeError) {
        self.type = type
        self.device = device
        do { buffer = try device.allocate(byteCount: type.byteCount) } catch { throw .backend(error) }
    }

    /// The array's contents, copied to the host.
    /// - Throws: ``RuntimeError/backend(_:)``, e.g. ``BackendError/bufferFreed(_:)`` after ``free()``.
    public func toHost() throws(RuntimeError) -> TensorValue {
        var bytes = [UInt8](repeating: 0, count: type.byteCount)
        let buffer = self.buffer, device = self.device
        let copied: Result<Void, BackendError> = bytes.withUnsafeMutableBytes { raw in
            do throws(BackendError) { return .success(try device.copy(from: buffer, to: raw)) } catch { return .failure(error) }
        }
        if case let .failure(error) = copied { throw .backend(error) }
        RuntimeCounters.record(\.deviceToHostTransfers)
        return bytes.withUnsafeBytes { TensorValue(deviceBytes: $0, type: type) }
    }

    /// Releases the device memory now rather than when the last copy of the array goes away.
    public func free() { buffer.free() }
}
