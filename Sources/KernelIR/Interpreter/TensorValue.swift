/// A tensor held on the host as the reference interpreter sees it: a type and its elements in
/// row-major order, each widened to `Double` (which holds every f32, f16, bf16, i32 and bool exactly).
public struct TensorValue: Hashable, Sendable, CustomStringConvertible {
    /// The tensor's type.
    public let type: TensorType
    /// The elements in row-major order; `bool` is 0 or 1.
    public let scalars: [Double]

    /// Creates a tensor; `scalars.count` must equal the type's element count.
    public init(_ type: TensorType, scalars: [Double]) {
        precondition(scalars.count == type.elementCount, "TensorValue: \(scalars.count) scalars for \(type)")
        self.type = type
        self.scalars = scalars
    }

    /// Creates a tensor with its elements converted to `type`'s dtype (rounded, saturated or booleanised).
    public init(converting scalars: [Double], to type: TensorType) {
        self.init(type, scalars: scalars.map(type.dtype.converting))
    }

    /// A tensor of `type` with every element equal to `value` (converted to the dtype).
    public init(repeating value: Double, _ type: TensorType) {
        self.init(type, scalars: [Double](repeating: type.dtype.converting(value), count: type.elementCount))
    }

    /// The shape.
    public var shape: Shape { type.shape }
    /// The dtype.
    public var dtype: DType { type.dtype }

    /// The element at a multi-dimensional index.
    public subscript(index: Int...) -> Double {
        var offset = 0
        for (axis, stride) in type.shape.strides.enumerated() { offset += index[axis] * stride }
        return scalars[offset]
    }

    public var description: String {
        let shown = scalars.prefix(8).map { $0.description }.joined(separator: ", ")
        return "\(type) [\(shown)\(scalars.count > 8 ? ", ..." : "")]"
    }
}
