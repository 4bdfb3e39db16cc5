import KernelIR

/// Fast conversions between `f32` and the two 16-bit float formats, for contractions that widen
/// `f16`/`bf16` operands to `f32`, multiply with OpenBLAS, and round the result back.
///
/// Bit arithmetic rather than Swift's `Float16`, which some platforms (macOS on x86_64) lack.
/// Narrowing rounds to nearest even with gradual underflow and overflow to infinity, as
/// ``KernelIR/FloatFormat`` does, and keeps the sign of NaN (written as a quiet NaN).
enum HalfPrecision {
    /// The `f32` value of IEEE binary16 bits, exactly.
    @inline(__always)
    static func float(f16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        if exponent == 0 {
            // Zero or subnormal: a whole number of 2^-24 quanta, exact in f32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        // Rebias the exponent from 15 to 127.
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }

    /// The binary16 bits of `value` rounded to nearest even.
    @inline(__always)
    static func f16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x7F80_0000 { return sign | (magnitude > 0x7F80_0000 ? 0x7E00 : 0x7C00) }
        // 65520 is halfway between 65504 (the largest f16, odd mantissa) and 2^16: it and above round to infinity.
        if magnitude >= 0x477F_F000 { return sign | 0x7C00 }
        if magnitude < 0x3880_0000 {
            // Below 2^-14 the result is subnormal: count 2^-24 quanta. Scaling by a power of two is
            // exact, so the one rounding is the conversion to an integer; 1024 quanta is 2^-14's pattern.
            let quanta = (Float(bitPattern: magnitude) * 0x1p24).rounded(.toNearestOrEven)
            return sign | UInt16(quanta)
        }
        // Drop 13 mantissa bits, ties to even; a carry rounds into the exponent, as it should.
        let rounded = magnitude &+ 0x0FFF &+ ((magnitude >> 13) & 1)
        return sign | UInt16(truncatingIfNeeded: (rounded &- 0x3800_0000) >> 13)
    }

    /// The `f32` value of bfloat16 bits, exactly.
    @inline(__always)
    static func float(bf16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// The bfloat16 bits of `value` rounded to nearest even.
    @inline(__always)
    static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// Widens `count` `f16` or `bf16` elements at `source` into `f32`s at `target`.
    static func widen(_ source: UnsafeRawPointer, dtype: DType, count: Int, into target: UnsafeMutablePointer<Float>) {
        let halves = source.assumingMemoryBound(to: UInt16.self)
        switch dtype {
        case .f16: for i in 0..<count { target[i] = float(f16: halves[i]) }
        case .bf16: for i in 0..<count { target[i] = float(bf16: halves[i]) }
        case .f32, .i32, .bool: preconditionFailure("HalfPrecision.widen: \(dtype) is not a 16-bit float")
        }
    }

    /// Rounds `count` `f32`s at `source` to `f16` or `bf16` elements at `target`.
    static func narrow(_ source: UnsafePointer<Float>, count: Int, to dtype: DType, into target: UnsafeMutableRawPointer) {
        let halves = target.assumingMemoryBound(to: UInt16.self)
        switch dtype {
        case .f16: for i in 0..<count { halves[i] = f16(from: source[i]) }
        case .bf16: for i in 0..<count { halves[i] = bf16(from: source[i]) }
        case .f32, .i32, .bool: preconditionFailure("HalfPrecision.narrow: \(dtype) is not a 16-bit float")
        }
    }
}
