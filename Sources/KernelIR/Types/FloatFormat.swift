/// An IEEE-style binary floating-point format, used to round values exactly to `f32`, `f16`,
/// `bf16` (and, for simulated devices, formats like tf32) from a `Double`.
///
/// Rounding is round-to-nearest-even from the exact `Double` value in one step, with gradual
/// underflow, overflow to infinity and NaN kept: the rules of IEEE 754 `convertFormat`.
public struct FloatFormat: Hashable, Sendable {
    /// Explicit mantissa (fraction) bits: 23 for f32, 10 for f16, 7 for bf16.
    public let mantissaBits: Int
    /// Exponent bits: 8 for f32 and bf16, 5 for f16.
    public let exponentBits: Int

    /// Creates a format; both widths must keep every value exactly representable in a `Double`.
    public init(mantissaBits: Int, exponentBits: Int) {
        precondition((1...52).contains(mantissaBits) && (2...11).contains(exponentBits),
                     "FloatFormat must be narrower than Double")
        self.mantissaBits = mantissaBits
        self.exponentBits = exponentBits
    }

    /// IEEE binary32.
    public static let f32 = FloatFormat(mantissaBits: 23, exponentBits: 8)
    /// IEEE binary16.
    public static let f16 = FloatFormat(mantissaBits: 10, exponentBits: 5)
    /// bfloat16: binary32's exponent with a 7-bit fraction.
    public static let bf16 = FloatFormat(mantissaBits: 7, exponentBits: 8)
    /// NVIDIA's tf32 (10-bit fraction, binary32 exponent), used by matrix units.
    public static let tf32 = FloatFormat(mantissaBits: 10, exponentBits: 8)

    /// The largest unbiased exponent of a normal number.
    public var maximumExponent: Int { (1 << (exponentBits - 1)) - 1 }
    /// The smallest unbiased exponent of a normal number.
    public var minimumExponent: Int { 1 - maximumExponent }

    /// The largest finite value.
    public var greatestFiniteMagnitude: Double {
        Double(sign: .plus, exponent: maximumExponent, significand: 2 - Double(sign: .plus, exponent: -mantissaBits, significand: 1))
    }

    /// `value` rounded to the nearest value of this format, ties to even.
    /// - Parameter flushingSubnormals: whether results below the normal range become ±0, as TPUs do.
    public func rounded(_ value: Double, flushingSubnormals: Bool = false) -> Double {
        guard value.isFinite, value != 0 else { return value }
        let magnitude = Swift.abs(value)
        let quantumExponent = Swift.max(Int(magnitude.exponent), minimumExponent) - mantissaBits
        let scaled = value * Double(sign: .plus, exponent: -quantumExponent, significand: 1)
        let result = scaled.rounded(.toNearestOrEven) * Double(sign: .plus, exponent: quantumExponent, significand: 1)
        if Swift.abs(result) > greatestFiniteMagnitude {
            return value < 0 ? -.infinity : .infinity
        }
        if flushingSubnormals, result != 0, Int(Swift.abs(result).exponent) < minimumExponent {
            return value < 0 ? -0.0 : 0.0
        }
        return result
    }
}

extension DType {
    /// The floating-point format of a floating dtype, or `nil` for `i32` and `bool`.
    public var floatFormat: FloatFormat? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .i32, .bool: nil
        }
    }

    /// `value` converted to this dtype and widened back to `Double`: rounded for floats,
    /// truncated toward zero and saturated to 32 bits for `i32` (NaN becomes 0), nonzero-ness for `bool`.
    public func converting(_ value: Double) -> Double {
        switch self {
        case .f32: return Double(Float(value))
        case .f16, .bf16: return floatFormat?.rounded(value) ?? value
        case .i32:
            guard value.isFinite else { return value.isNaN ? 0 : (value < 0 ? Double(Int32.min) : Double(Int32.max)) }
            let truncated = value.rounded(.towardZero) + 0  // + 0 turns -0 into +0: integers have one zero
            if truncated >= Double(Int32.max) { return Double(Int32.max) }
            if truncated <= Double(Int32.min) { return Double(Int32.min) }
            return truncated
        case .bool: return value != 0 ? 1 : 0
        }
    }
}
