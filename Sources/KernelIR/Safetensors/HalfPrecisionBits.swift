/// Bit-level conversions between `Double` and the two 16-bit float formats safetensors stores.
///
/// Written out with integer arithmetic rather than Swift's `Float16`, which some platforms (macOS on
/// x86_64) lack. Encoding first rounds to the format (nearest even), so any `Double` is accepted;
/// values a ``TensorValue`` of that dtype holds are already exact and pass through unchanged.
enum HalfPrecisionBits {
    /// The IEEE binary16 bits of `value` rounded to f16: subnormals kept, overflow to infinity,
    /// the sign of zero and of NaN kept, every NaN written as the quiet NaN `0x7E00`.
    static func f16(from value: Double) -> UInt16 {
        let rounded = FloatFormat.f16.rounded(value)
        let sign: UInt16 = rounded.sign == .minus ? 0x8000 : 0
        if rounded.isNaN { return sign | 0x7E00 }
        if rounded.isInfinite { return sign | 0x7C00 }
        let magnitude = Swift.abs(rounded)
        if magnitude == 0 { return sign }
        let exponent = Int(magnitude.exponent)
        if exponent < FloatFormat.f16.minimumExponent {
            // A subnormal is a whole number of 2^-24 quanta; rounding made the product exact.
            return sign | UInt16(magnitude * 0x1p24)
        }
        // The significand lies in [1, 2): its fraction, scaled by 2^10, is the 10 stored mantissa bits.
        let mantissa = UInt16((magnitude.significand - 1) * 0x1p10)
        return sign | UInt16(exponent + 15) << 10 | mantissa
    }

    /// The value of IEEE binary16 bits, exactly.
    static func value(f16 bits: UInt16) -> Double {
        let exponent = Int(bits >> 10 & 0x1F)
        let mantissa = Double(bits & 0x3FF)
        let magnitude = switch exponent {
        case 0: mantissa * 0x1p-24
        case 0x1F: mantissa == 0 ? Double.infinity : .nan
        default: (0x1p10 + mantissa) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
        // Negation, unlike multiplication by -1, sets the sign of a NaN too.
        return bits & 0x8000 != 0 ? -magnitude : magnitude
    }

    /// The bfloat16 bits of `value` rounded to bf16: the upper half of the rounded value's f32 pattern.
    static func bf16(from value: Double) -> UInt16 {
        // After rounding to bf16 the lower 16 bits of the f32 pattern are zero (NaN becomes Float's quiet NaN).
        UInt16(truncatingIfNeeded: Float(FloatFormat.bf16.rounded(value)).bitPattern >> 16)
    }

    /// The value of bfloat16 bits, exactly.
    static func value(bf16 bits: UInt16) -> Double {
        Double(Float(bitPattern: UInt32(bits) << 16))
    }
}
