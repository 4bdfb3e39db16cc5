/// The element type of a tensor: the five dtypes every backend must understand.
///
/// `f16` and `bf16` are storage formats; the reference interpreter rounds every result to them
/// exactly (round to nearest even), so that it can judge devices that compute in them.
public enum DType: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case f32, f16, bf16, i32, bool

    /// Whether values of this dtype are floating point (and so differentiable).
    public var isFloatingPoint: Bool {
        switch self {
        case .f32, .f16, .bf16: true
        case .i32, .bool: false
        }
    }

    /// The size of one element in bytes, as devices store it.
    public var byteCount: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16: 2
        case .bool: 1
        }
    }

    /// The dtype's `.kir` spelling.
    public var description: String { rawValue }
}
