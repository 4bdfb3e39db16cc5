import Testing
@testable import KernelIR

/// A deterministic stream of doubles spanning many binades, for exhaustive-style rounding checks.
struct DoubleStream: Sequence, IteratorProtocol {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var remaining: Int

    mutating func next() -> Double? {
        guard remaining > 0 else { return nil }
        remaining -= 1
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let mantissa = Double(state >> 11) * 0x1p-53 + 1
        let exponent = Int((state >> 3) % 80) - 40
        return (state & 1 == 0 ? 1 : -1) * Double(sign: .plus, exponent: exponent, significand: mantissa)
    }
}

@Test func genericRoundingToF32MatchesHardwareConversion() {
    for value in DoubleStream(remaining: 20_000) {
        #expect(FloatFormat.f32.rounded(value) == Double(Float(value)), "\(value)")
    }
    // Subnormal and overflow edges.
    for value in [0x1p-149, 0x1.8p-149, 0x1p-150, 0x1.0000001p-150, 0x1p-127 * 1.3, 0x1.fffffffp127, 0x1p128, -0x1p130] {
        #expect(FloatFormat.f32.rounded(value) == Double(Float(value)), "\(value)")
    }
}

#if arch(x86_64) || arch(arm64)
@Test func genericRoundingToF16MatchesSwiftFloat16() {
    for value in DoubleStream(remaining: 20_000) {
        let scaled = value * 0x1p-20  // bring most values into and below f16's range
        #expect(FloatFormat.f16.rounded(scaled) == Double(Float16(scaled)), "\(scaled)")
    }
}
#endif

let bf16Cases: [(Double, Double)] = [
    // (input, expected bf16 value)
    (1.0 + 0x1p-8 as Double, 1.0 as Double),                       // a tie rounds to even (down)
    (1.0 + 3 * 0x1p-8, 1.0 + 0x1p-6),           // a tie rounds to even (up)
    (1.0 + 0x1p-8 + 0x1p-30, 1.0 + 0x1p-7),     // just above the tie rounds up
    (0x1p-133, 0x1p-133),                       // smallest bf16 subnormal is exact
    (0x1p-134, 0.0),                            // half of it ties to even zero
    (0x1.8p-134, 0x1p-133),                     // above half rounds up to the subnormal
    (0x1.fep127, 0x1.fep127),                   // largest finite
    (0x1.ffp127, .infinity),                    // halfway to the next binade overflows
    (-0x1.ffp127, -.infinity),
]

@Test func bf16RoundsToNearestEven() {
    for (input, expected) in bf16Cases {
        #expect(FloatFormat.bf16.rounded(input) == expected, "\(input)")
    }
}

@Test func roundingKeepsNaNInfinityAndSignedZero() {
    for format in [FloatFormat.f32, .f16, .bf16] {
        #expect(format.rounded(.nan).isNaN)
        #expect(format.rounded(.infinity) == .infinity)
        #expect(format.rounded(-0.0).sign == .minus)
        #expect(format.rounded(-0x1p-200).sign == .minus)
    }
}

@Test func f16SubnormalsAndOverflow() {
    #expect(FloatFormat.f16.rounded(0x1p-24) == 0x1p-24)          // smallest subnormal
    #expect(FloatFormat.f16.rounded(0x1p-25) == 0)                // tie to even zero
    #expect(FloatFormat.f16.rounded(0x1.1p-25) == 0x1p-24)
    #expect(FloatFormat.f16.rounded(65504) == 65504)
    #expect(FloatFormat.f16.rounded(65519.99) == 65504)
    #expect(FloatFormat.f16.rounded(65520) == .infinity)
}

@Test func flushingSubnormalsGivesSignedZero() {
    #expect(FloatFormat.bf16.rounded(0x1p-130, flushingSubnormals: true) == 0)
    #expect(FloatFormat.bf16.rounded(-0x1p-130, flushingSubnormals: true).sign == .minus)
    #expect(FloatFormat.bf16.rounded(0x1p-126, flushingSubnormals: true) == 0x1p-126)
}

@Test func integerConversionTruncatesAndSaturates() {
    #expect(DType.i32.converting(2.9) == 2)
    #expect(DType.i32.converting(-2.9) == -2)
    #expect(DType.i32.converting(1e12) == Double(Int32.max))
    #expect(DType.i32.converting(-.infinity) == Double(Int32.min))
    #expect(DType.i32.converting(.nan) == 0)
    #expect(DType.bool.converting(-0.5) == 1)
    #expect(DType.bool.converting(0) == 0)
}
