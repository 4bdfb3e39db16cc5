import KernelIR

/// How a simulated device rounds, from its profile (accelerators.md §6): what the matrix unit
/// takes, in which order it accumulates, what vector arithmetic computes in, and how stores round.
struct DeviceNumerics: Hashable, Sendable {
    let family: DeviceProfile.Family
    let matmulPrecision: MatrixPrecision
    let convolutionPrecision: MatrixPrecision
    /// The 16-bit formats the matrix unit takes natively (listed in `matrix_tile.dtypes` with a peak).
    let nativeFormats: Set<DType>
    let flushesSubnormals: Bool
    let computeDType: [DType: DType]
    /// Ascend's fractal depth is this many bytes of operand (§2); other families use ``tileDepth``.
    let alignmentBytes: Int
    let tileDepth: Int

    init(profile: DeviceProfile) {
        family = profile.family
        matmulPrecision = profile.fp32Matmul
        convolutionPrecision = profile.fp32Convolution
        var native: Set<DType> = []
        if profile.matrixTile.dtypes.contains("fp16"), profile.peakFLOPS.fp16 != nil { native.insert(.f16) }
        if profile.matrixTile.dtypes.contains("bf16"), profile.peakFLOPS.bf16 != nil { native.insert(.bf16) }
        nativeFormats = native
        flushesSubnormals = profile.bf16FlushesSubnormals
        computeDType = profile.vector.computeDType
        alignmentBytes = profile.alignmentBytes ?? 32
        tileDepth = profile.matrixTile.k
    }

    /// How operands of `dtype` enter the matrix unit, or `nil` for `i32`, which accumulates exactly.
    /// A 16-bit format the unit lacks is widened exactly to f32 and follows the f32 rule (§5).
    func precision(for dtype: DType, convolution: Bool) -> MatrixPrecision? {
        let wide = convolution ? convolutionPrecision : matmulPrecision
        switch dtype {
        case .f32: return wide
        case .f16: return nativeFormats.contains(.f16) ? .fp16 : wide
        case .bf16: return nativeFormats.contains(.bf16) ? .bf16x1 : wide
        case .i32, .bool: return nil
        }
    }

    /// The number of products summed sequentially before joining the accumulator (§6 rule 4):
    /// one Ascend fractal (32 B of operand: 16 for 16-bit, 8 for fp32), 128 on TPU and Trainium.
    func accumulationDepth(for precision: MatrixPrecision) -> Int {
        switch family {
        case .ascend: Swift.max(1, alignmentBytes / precision.unitBytes)
        case .tpu, .trainium: tileDepth
        }
    }

    /// The dtype values of `dtype` are carried in inside a kernel: 16-bit floats computed in fp32
    /// stay fp32 until the kernel stores (§6 rule 6).
    func carriedDType(for dtype: DType) -> DType { computeDType[dtype] ?? dtype }

    /// One operand element as a single-pass matrix unit of `precision` sees it (§6 rules 1–3).
    func operand(_ x: Float, _ precision: MatrixPrecision) -> Float {
        switch precision {
        case .native: x
        case .bf16x1, .bf16x3, .bf16x6: bf16(x)
        case .tf32: Self.droppingMantissa(x, bits: 13)
        case .hf32: Self.droppingMantissa(x, bits: 12)
        case .fp16: Self.f16(x)
        }
    }

    /// `x` rounded to bf16 as this device converts (§6 rule 1): NaN stays a quiet NaN with its
    /// sign, a subnormal input becomes ±0 first where the device flushes, otherwise round to
    /// nearest even with overflow to infinity.
    func bf16(_ x: Float) -> Float {
        let bits = x.bitPattern
        if x.isNaN { return Float(bitPattern: (bits | 0x0040_0000) & 0xFFFF_0000) }
        if flushesSubnormals, x.isSubnormal { return Float(bitPattern: bits & 0x8000_0000) }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return Float(bitPattern: rounded & 0xFFFF_0000)
    }

    /// `value` (an f32-exact number, or any number for f32) rounded once to `dtype` for storage.
    func stored(_ value: Double, as dtype: DType) -> Double {
        switch dtype {
        case .bf16: Double(bf16(Float(value)))
        case .f32, .f16, .i32, .bool: dtype.converting(value)
        }
    }

    /// `x` rounded to fp16: IEEE round to nearest even with gradual underflow, overflow to
    /// infinity (§6 rule 2).
    static func f16(_ x: Float) -> Float { Float(FloatFormat.f16.rounded(Double(x))) }

    /// `x` with its `bits` low mantissa bits rounded away, to nearest even (§6 rule 3: 13 for
    /// tf32, 12 for hf32); the exponent is kept and a carry out of the mantissa rounds up.
    static func droppingMantissa(_ x: Float, bits: Int) -> Float {
        guard x.isFinite else { return x.isNaN ? Float.nan : x }
        let pattern = x.bitPattern
        let half = (UInt32(1) << (bits - 1)) - 1
        let rounded = pattern &+ half &+ ((pattern >> UInt32(bits)) & 1)
        return Float(bitPattern: rounded & ~((UInt32(1) << UInt32(bits)) - 1))
    }

    /// The bf16 split of §6 rule 5: `parts[0] = bf16(a)`, `parts[1] = bf16(a − parts[0])`, ...
    func bf16Split(_ x: Float, parts: Int) -> [Float] {
        var remainder = x
        var result: [Float] = []
        for _ in 0..<parts {
            let part = bf16(remainder)
            result.append(part)
            remainder -= part
        }
        return result
    }
}
