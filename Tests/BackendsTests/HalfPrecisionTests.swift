import KernelIR
import Testing
@testable import Backends

// The fast f16/bf16 converters agree with the interpreter's exact ones.

@Test func f16WideningIsExactForEveryPattern() {
    let patterns = (0...UInt16.max).map { $0 }
    let reference = patterns.withUnsafeBytes { TensorValue(deviceBytes: $0, type: TensorType(.f16, [patterns.count])) }
    for (bits, want) in zip(patterns, reference.scalars) {
        let got = Double(HalfPrecision.float(f16: bits))
        #expect(got == want || (got.isNaN && want.isNaN), "f16 0x\(String(bits, radix: 16))")
        if !(got == want || (got.isNaN && want.isNaN)) { return }
    }
}

/// f32 values around every rounding hazard: ties, subnormals, the overflow edge, specials, and a sweep.
private let narrowingSamples: [Float] = {
    var values: [Float] = [0, -0, 1, -1, .infinity, -.infinity, .nan, 65504, 65519.99, 65520, 65536, 1e-8, -1e-8,
                           0x1p-14, 0x1p-15, 0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-26, 3.1415927, 1.0009765625, 1.00048828125,
                           1.000732421875, 0x1.ffep-15, 3.0e38, -3.3895314e38, 0x1.0101p0, 0x1.0181p0, 0x1.0180p0, 0x1.0080p0]
    var state: UInt32 = 12345
    for _ in 0..<20000 {
        state = state &* 1664525 &+ 1013904223
        let candidate = Float(bitPattern: state)
        values.append(candidate)
        values.append(Float(bitPattern: (state & 0x807F_FFFF) | 0x3800_0000))  // exponents near f16's range
    }
    return values
}()

@Test(arguments: [DType.f16, .bf16])
func narrowingRoundsToNearestEven(dtype: DType) {
    var mismatches: [String] = []
    for value in narrowingSamples {
        let want = TensorValue(converting: [Double(value)], to: TensorType(dtype, [1])).deviceBytes
        let bits = dtype == .f16 ? HalfPrecision.f16(from: value) : HalfPrecision.bf16(from: value)
        let got = [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8)]
        if value.isNaN {
            let back = dtype == .f16 ? HalfPrecision.float(f16: bits) : HalfPrecision.float(bf16: bits)
            if !back.isNaN { mismatches.append("NaN became \(back)") }
        } else if got != want {
            mismatches.append("\(value) (0x\(String(value.bitPattern, radix: 16))): 0x\(String(bits, radix: 16))")
        }
    }
    #expect(mismatches.isEmpty, "\(dtype): \(mismatches.count) mismatches, first \(mismatches.prefix(3))")
}
