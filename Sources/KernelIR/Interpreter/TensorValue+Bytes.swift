extension TensorValue {
    /// Reads a tensor stored as devices store it: row-major, little-endian, `f16`/`bf16` as their
    /// 16-bit patterns, `bool` as one byte. `bytes` must hold exactly `type.byteCount` bytes.
    public init(deviceBytes bytes: UnsafeRawBufferPointer, type: TensorType) {
        precondition(bytes.count == type.byteCount, "TensorValue(deviceBytes:): \(bytes.count) bytes for \(type)")
        let decoded = SafetensorsDType(type.dtype).decode(bytes, tensor: "")
        switch decoded {
        case let .success(scalars): self.init(type, scalars: scalars)
        case .failure: preconditionFailure("decoding a 32-bit-or-narrower dtype cannot fail")
        }
    }

    /// Writes the tensor as devices store it into `bytes`, which holds exactly `type.byteCount` bytes.
    public func copyDeviceBytes(to bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count == type.byteCount, "copyDeviceBytes: \(bytes.count) bytes for \(type)")
        SafetensorsDType.encode(scalars, as: type.dtype, into: bytes)
    }

    /// The tensor as devices store it.
    public var deviceBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: type.byteCount)
        bytes.withUnsafeMutableBytes { copyDeviceBytes(to: $0) }
        return bytes
    }
}
