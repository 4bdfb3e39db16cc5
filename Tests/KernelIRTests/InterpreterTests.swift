import Foundation
import Testing
@testable import KernelIR

/// Runs a one-result graph built by `build` on `inputs`.
func evaluate(_ inputs: [TensorValue], precision: Interpreter.Precision = .native,
              _ build: (GraphBuilder, [Value]) throws(KIRError) -> Value) throws -> TensorValue {
    let builder = GraphBuilder(name: "test")
    let parameters = inputs.map { builder.parameter($0.type) }
    let result = try build(builder, parameters)
    return try #require(try Interpreter(precision: precision).run(builder.build(returning: [result]), inputs: inputs).first)
}

func tensor(_ dtype: DType, _ shape: Shape, _ scalars: [Double]) -> TensorValue {
    TensorValue(converting: scalars, to: TensorType(dtype, shape))
}

@Test func elementwiseUnaryFunctions() throws {
    let x = tensor(.f32, [4], [-1.5, 0, 0.25, 4])
    #expect(try evaluate([x]) { b, p throws(KIRError) in try b.unary(.floor, p[0]) }.scalars == [-2, 0, 0, 4])
    #expect(try evaluate([x]) { b, p throws(KIRError) in try b.unary(.sign, p[0]) }.scalars == [-1, 0, 1, 1])
    #expect(try evaluate([x]) { b, p throws(KIRError) in try b.unary(.abs, p[0]) }.scalars == [1.5, 0, 0.25, 4])
    let positive = tensor(.f32, [2], [0.25, 4])
    #expect(try evaluate([positive]) { b, p throws(KIRError) in try b.rsqrt(p[0]) }.scalars == [2, 0.5])
    #expect(try evaluate([positive]) { b, p throws(KIRError) in try b.unary(.recip, p[0]) }.scalars == [4, 0.25])
    let sigmoid = try evaluate([tensor(.f32, [1], [0])]) { b, p throws(KIRError) in try b.sigmoid(p[0]) }
    #expect(sigmoid.scalars == [0.5])
    let exp = try evaluate([tensor(.f32, [1], [1])]) { b, p throws(KIRError) in try b.exp(p[0]) }
    #expect(exp.scalars == [Double(Float(M_E))])
}

@Test func f16ResultsAreRoundedOncePerOp() throws {
    // 1 + 2^-11 is a tie between 1 and 1 + 2^-10 in f16: it rounds to even, 1.
    let one = tensor(.f16, [1], [1]), tiny = tensor(.f16, [1], [0x1p-11])
    #expect(try evaluate([one, tiny]) { b, p throws(KIRError) in try b.add(p[0], p[1]) }.scalars == [1])
    // f16 overflows to infinity above 65504.
    let big = tensor(.f16, [1], [60000])
    #expect(try evaluate([big, big]) { b, p throws(KIRError) in try b.add(p[0], p[1]) }.scalars == [.infinity])
    // bf16 keeps 8 significant bits: 1/3 is 0x1.56p-2.
    let third = try evaluate([tensor(.bf16, [1], [1]), tensor(.bf16, [1], [3])]) { b, p throws(KIRError) in try b.div(p[0], p[1]) }
    #expect(third.scalars == [0x1.56p-2])
}

@Test func float64PrecisionSkipsRounding() throws {
    let third = try evaluate([tensor(.f32, [1], [1]), tensor(.f32, [1], [3])], precision: .float64) { b, p throws(KIRError) in
        try b.div(p[0], p[1])
    }
    #expect(third.scalars == [1.0 / 3.0])
}

@Test func integerArithmeticWrapsAndDividesTowardZero() throws {
    let a = tensor(.i32, [3], [2_147_483_647, -7, 7]), b = tensor(.i32, [3], [1, 2, 0])
    #expect(try evaluate([a, b]) { g, p throws(KIRError) in try g.add(p[0], p[1]) }.scalars == [-2_147_483_648, -5, 7])
    #expect(try evaluate([a, b]) { g, p throws(KIRError) in try g.div(p[0], p[1]) }.scalars == [2_147_483_647, -3, 0])
    #expect(try evaluate([a, a]) { g, p throws(KIRError) in try g.mul(p[0], p[1]) }.scalars == [1, 49, 49])
}

@Test func maxAndMinPropagateNaN() throws {
    let a = tensor(.f32, [2], [.nan, 1]), b = tensor(.f32, [2], [0, 2])
    let result = try evaluate([a, b]) { g, p throws(KIRError) in try g.max(p[0], p[1]) }
    #expect(result.scalars[0].isNaN && result.scalars[1] == 2)
}

@Test func compareAndSelect() throws {
    let a = tensor(.f32, [3], [1, 2, .nan]), b = tensor(.f32, [3], [2, 2, 0])
    #expect(try evaluate([a, b]) { g, p throws(KIRError) in try g.compare(p[0], .lt, p[1]) }.scalars == [1, 0, 0])
    #expect(try evaluate([a, b]) { g, p throws(KIRError) in try g.compare(p[0], .ne, p[1]) }.scalars == [1, 0, 1])
    let picked = try evaluate([a, b]) { g, p throws(KIRError) in try g.select(g.compare(p[0], .ge, p[1]), p[0], p[1]) }
    #expect(picked.scalars == [2, 2, 0])
}

@Test func castsRoundSaturateAndBooleanise() throws {
    let x = tensor(.f32, [4], [1.7, -1.7, 3e9, 0.1])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.cast(p[0], to: .i32) }.scalars == [1, -1, 2_147_483_647, 0])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.cast(p[0], to: .bool) }.scalars == [1, 1, 1, 1])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.cast(p[0], to: .bf16) }.scalars[3] == FloatFormat.bf16.rounded(Double(Float(0.1))))
}

@Test func movementOps() throws {
    let x = tensor(.f32, [2, 3], [0, 1, 2, 3, 4, 5])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.permute(p[0], [1, 0]) }.scalars == [0, 3, 1, 4, 2, 5])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.reshape(p[0], to: [3, 2]) }.scalars == [0, 1, 2, 3, 4, 5])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.slice(p[0], start: [0, 0], limit: [2, 3], stride: [1, 2]) }.scalars == [0, 2, 3, 5])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.pad(p[0], low: [0, 1], high: [1, 0], value: -1) }.scalars
            == [-1, 0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1])
    #expect(try evaluate([x, x]) { g, p throws(KIRError) in try g.concat([p[0], p[1]], axis: 0) }.scalars == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5])
    let column = tensor(.f32, [2, 1], [7, 8])
    #expect(try evaluate([column]) { g, p throws(KIRError) in try g.broadcast(p[0], to: [2, 2, 3]) }.scalars
            == [7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8])
}

@Test func reductionsOverAnyAxes() throws {
    let x = tensor(.f32, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.reduce(.sum, p[0], over: [0, 2]) }.scalars == [14, 22])
    let kept = try evaluate([x]) { g, p throws(KIRError) in try g.reduce(.max, p[0], over: [1], keepingDimensions: true) }
    #expect(kept.shape == [2, 1, 2] && kept.scalars == [3, 4, 7, 8])
    #expect(try evaluate([x]) { g, p throws(KIRError) in try g.reduce(.min, p[0], over: [0, 1, 2]) }.scalars == [1])
    let empty = tensor(.f32, [0, 2], [])
    #expect(try evaluate([empty]) { g, p throws(KIRError) in try g.reduce(.max, p[0], over: [0]) }.scalars == [-.infinity, -.infinity])
}

@Test func batchedMatmulBroadcastsBatchDimensions() throws {
    // a: [2, 1, 2] (two 1x2 rows), b: [2, 1] shared by both batches.
    let a = tensor(.f32, [2, 1, 2], [1, 2, 3, 4]), b = tensor(.f32, [2, 1], [10, 100])
    let product = try evaluate([a, b]) { g, p throws(KIRError) in try g.matmul(p[0], p[1]) }
    #expect(product.shape == [2, 1, 1] && product.scalars == [210, 430])
}

@Test func convolutionMatchesHandComputedCases() throws {
    // 1-d, one channel: [1, 2, 3, 4] * [1, -1] with stride 2 and one zero of padding in front.
    let x = tensor(.f32, [1, 4, 1], [1, 2, 3, 4]), w = tensor(.f32, [2, 1, 1], [1, -1])
    let strided = try evaluate([x, w]) { g, p throws(KIRError) in
        try g.convolution(p[0], p[1], Convolution(stride: [2], paddingLow: [1], paddingHigh: [0], dilation: [1]))
    }
    #expect(strided.scalars == [0 - 1, 2 - 3])
    // Dilation 2: taps two apart.
    let dilated = try evaluate([x, w]) { g, p throws(KIRError) in
        try g.convolution(p[0], p[1], Convolution(stride: [1], paddingLow: [0], paddingHigh: [0], dilation: [2]))
    }
    #expect(dilated.scalars == [1 - 3, 2 - 4])
    // Two groups of one channel each: output channel g sees only input channel g.
    let pair = tensor(.f32, [1, 2, 2], [1, 10, 2, 20]), grouped = tensor(.f32, [1, 1, 2], [3, 5])
    let result = try evaluate([pair, grouped]) { g, p throws(KIRError) in
        try g.convolution(p[0], p[1], Convolution(stride: [1], paddingLow: [0], paddingHigh: [0], dilation: [1], groups: 2))
    }
    #expect(result.scalars == [3, 50, 6, 100])
}

@Test func iotaAndConstants() throws {
    let builder = GraphBuilder(name: "make")
    let i = try builder.iota(TensorType(.i32, [2, 3]), axis: 1)
    let c = try builder.constant(0.1, TensorType(.f16, [2]))
    let outputs = try Interpreter().run(builder.build(returning: [i, c]), inputs: [])
    #expect(outputs[0].scalars == [0, 1, 2, 0, 1, 2])
    #expect(outputs[1].scalars == [0x1.998p-4, 0x1.998p-4])
}

@Test func randomIsReproducibleAndWellDistributed() throws {
    func sample(_ distribution: Distribution, seed: Int) throws -> [Double] {
        let builder = GraphBuilder(name: "random")
        let r = try builder.random(distribution, TensorType(.f32, [20_000]), seed: seed)
        return try Interpreter().run(builder.build(returning: [r]), inputs: [])[0].scalars
    }
    let uniform = try sample(.uniform, seed: 7)
    #expect(uniform == (try sample(.uniform, seed: 7)))
    #expect(uniform != (try sample(.uniform, seed: 8)))
    #expect(uniform.allSatisfy { $0 >= 0 && $0 < 1 })
    let mean = uniform.reduce(0, +) / Double(uniform.count)
    #expect(Swift.abs(mean - 0.5) < 0.01)
    let normal = try sample(.normal, seed: 7)
    let normalMean = normal.reduce(0, +) / Double(normal.count)
    let variance = normal.map { ($0 - normalMean) * ($0 - normalMean) }.reduce(0, +) / Double(normal.count)
    #expect(Swift.abs(normalMean) < 0.03 && Swift.abs(variance - 1) < 0.05)
}

@Test func philoxMatchesPublishedKnownAnswer() {
    // Random123's known-answer test for philox4x32-10: zero counter, zero key.
    let words = Philox(seed: 0).block((0, 0, 0, 0))
    #expect(words == (0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
}

@Test func inputsMustMatchParameters() throws {
    let builder = GraphBuilder(name: "f")
    let x = builder.parameter(TensorType(.f32, [2]), name: "x")
    let graph = builder.build(returning: [x])
    #expect(throws: KIRError.inputMismatch(function: "f", reason: "takes 1 inputs, got 0")) { try Interpreter().run(graph, inputs: []) }
    let wrong = tensor(.f32, [3], [1, 2, 3])
    let error = #expect(throws: KIRError.self) { try Interpreter().run(graph, inputs: [wrong]) }
    #expect(error?.description == "@f: parameter %x is f32[2], got f32[3]")
}

@Test func interpreterRefusesHugeTensors() throws {
    let builder = GraphBuilder(name: "huge")
    let c = try builder.constant(0, TensorType(.f32, [1 << 20, 1 << 20]))
    let error = #expect(throws: KIRError.self) { try Interpreter().run(builder.build(returning: [c]), inputs: []) }
    #expect(error?.description.contains("more than the reference interpreter's limit") == true)
}
