import Foundation
import KernelIR
import Testing
@testable import Backends

// The bit tricks of accelerators.md §6 rules 1-3 agree with exact rounding (FloatFormat) on
// every kind of fp32 value, and the TPU flushes subnormals before rounding to bf16.

/// fp32 values of every kind: random across the whole exponent range, ties, subnormals, extremes.
private let samples: [Float] = {
    let generator = Philox(seed: 11)
    var values: [Float] = [0, -0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude,
                           .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .infinity, -.infinity,
                           Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000), Float(bitPattern: 0x7F7F_FFFF)]
    for index in 0..<4000 {
        let words = generator.block((UInt32(index), 0, 0, 0))
        values.append(Float(bitPattern: words.0 & 0xFF7F_FFFF))  // any finite pattern
    }
    return values
}()

@Test func bf16RoundingMatchesExactRoundingAndFlushesOnlyWhereTold() throws {
    let trainium = DeviceNumerics(profile: try SimulatedTestDevice.profile("trainium1"))
    let tpu = DeviceNumerics(profile: try SimulatedTestDevice.profile("tpu-v5e"))
    for x in samples {
        let exact = Float(FloatFormat.bf16.rounded(Double(x)))
        #expect(trainium.bf16(x).bitPattern == exact.bitPattern, "bf16(\(x))")
        let flushed: Float = x.isSubnormal ? (x.sign == .minus ? -0.0 : 0.0) : exact
        #expect(tpu.bf16(x).bitPattern == flushed.bitPattern, "TPU bf16(\(x))")
    }
    let nan = trainium.bf16(-Float.nan)
    #expect(nan.isNaN && nan.sign == .minus, "NaN stays a NaN with its sign")
}

@Test func tf32AndHF32KeepTenAndElevenMantissaBits() {
    let tf32 = FloatFormat(mantissaBits: 10, exponentBits: 8), hf32 = FloatFormat(mantissaBits: 11, exponentBits: 8)
    for x in samples {
        #expect(DeviceNumerics.droppingMantissa(x, bits: 13).bitPattern == Float(tf32.rounded(Double(x))).bitPattern, "tf32(\(x))")
        #expect(DeviceNumerics.droppingMantissa(x, bits: 12).bitPattern == Float(hf32.rounded(Double(x))).bitPattern, "hf32(\(x))")
        #expect(DeviceNumerics.f16(x) == Float(FloatFormat.f16.rounded(Double(x))), "f16(\(x))")
    }
}

@Test func bf16SplitsRecoverTheOperand() throws {
    let numerics = DeviceNumerics(profile: try SimulatedTestDevice.profile("trainium1"))
    let x: Float = 1.2345678
    let three = numerics.bf16Split(x, parts: 3)
    #expect(three[0] == Float(FloatFormat.bf16.rounded(Double(x))))
    #expect(three.allSatisfy { Float(FloatFormat.bf16.rounded(Double($0))) == $0 }, "every part is a bf16 value")
    #expect(Swift.abs((three[0] + three[1] + three[2]) - x) <= x.ulp, "three parts carry about 24 bits")
}

@Test func matrixPrecisionFollowsTheProfile() throws {
    let ascend = DeviceNumerics(profile: try SimulatedTestDevice.profile("ascend-910b"))
    #expect(ascend.precision(for: .f32, convolution: false) == .native)
    #expect(ascend.precision(for: .f32, convolution: true) == .hf32)
    #expect(ascend.precision(for: .f16, convolution: false) == .fp16)
    #expect(ascend.accumulationDepth(for: .fp16) == 16 && ascend.accumulationDepth(for: .native) == 8)
    let tpu = DeviceNumerics(profile: try SimulatedTestDevice.profile("tpu-v5e"))
    #expect(tpu.precision(for: .f32, convolution: false) == .bf16x1)
    #expect(tpu.precision(for: .f16, convolution: false) == .bf16x1, "no fp16 MXU path: widened to f32, then the f32 rule")
    #expect(tpu.precision(for: .i32, convolution: false) == nil)
    #expect(tpu.accumulationDepth(for: .bf16x1) == 128)
    #expect(tpu.carriedDType(for: .f16) == .f32 && ascend.carriedDType(for: .f16) == .f16 && ascend.carriedDType(for: .bf16) == .f32)
}
