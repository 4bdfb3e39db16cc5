/// The static type of a tensor value: a dtype and a shape, spelled `f32[2, 3]` in `.kir`.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    /// The element type.
    public var dtype: DType
    /// The dimensions.
    public var shape: Shape

    /// Creates a tensor type.
    public init(_ dtype: DType, _ shape: Shape) {
        self.dtype = dtype
        self.shape = shape
    }

    /// The number of dimensions.
    public var rank: Int { shape.rank }

    /// The number of elements.
    public var elementCount: Int { shape.elementCount }

    /// The bytes one tensor of this type occupies on a device; saturates rather than overflows.
    public var byteCount: Int {
        let (bytes, overflow) = shape.elementCount.multipliedReportingOverflow(by: dtype.byteCount)
        return overflow ? Int.max : bytes
    }

    /// The same shape with another dtype.
    public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }

    /// The same dtype with another shape.
    public func reshaped(to shape: Shape) -> TensorType { TensorType(dtype, shape) }

    /// The `.kir` spelling, e.g. `bf16[8, 128]`.
    public var description: String { "\(dtype)\(shape)" }
}
