import Foundation
import KernelIR
import Testing
@testable import Backends

// Each rule of accelerators.md §6 shows in a result: the simulated device gives the answer its
// numerics imply, and cpu:0 (or the interpreter) gives the f32 one.

@Test func bf16OperandsGiveTheBF16AnswerOnTPUAndTheF32AnswerOnCPU() throws {
    // 1 + 2^-9 is an f32 value a quarter of a bf16 step above 1, so bf16 rounds it to 1.
    let a = SimulatedGraphs.tensor(TensorType(.f32, [2, 2]), [1 + 0x1p-9, 2, 3, 1 - 0x1p-10])
    let b = SimulatedGraphs.tensor(TensorType(.f32, [2, 2]), [1, 0, 0, 1])
    let graph = try SimulatedGraphs.matmul(a.type, b.type)
    let exact = [1 + 0x1p-9, 2, 3, 1 - 0x1p-10]
    let bf16Inputs = [1.0, 2, 3, 1]
    #expect(try SimulatedTestDevice.device("tpu-v5e").evaluate(graph, on: [a, b])[0].scalars == bf16Inputs)
    #expect(try SimulatedTestDevice.device("trainium1").evaluate(graph, on: [a, b])[0].scalars == bf16Inputs)
    #expect(try SimulatedTestDevice.device("ascend-910b").evaluate(graph, on: [a, b])[0].scalars == exact, "Ascend keeps fp32 for Matmul (CANN default)")
    let cpu = try #require(CPUBackend().discover().devices.first)
    let compiled = try cpu.compile(Fusion.schedule(graph))
    let buffers = try [a, b].map { value -> any Buffer in
        let buffer = try cpu.allocate(byteCount: value.type.byteCount)
        try value.deviceBytes.withUnsafeBytes { try cpu.copy(from: $0, to: buffer) }
        return buffer
    }
    let output = try cpu.allocate(byteCount: 16)
    try cpu.run(compiled, inputs: buffers, outputs: [output])
    var bytes = [UInt8](repeating: 0, count: 16)
    try bytes.withUnsafeMutableBytes { try cpu.copy(from: output, to: $0) }
    #expect(bytes.withUnsafeBytes { TensorValue(deviceBytes: $0, type: TensorType(.f32, [2, 2])) }.scalars == exact)
}

@Test func tpuFlushesSubnormalOperandsAndTrainiumDoesNot() throws {
    let a = SimulatedGraphs.tensor(TensorType(.f32, [1, 1]), [0x1p-130])  // an f32 subnormal
    let b = SimulatedGraphs.tensor(TensorType(.f32, [1, 1]), [0x1p100])
    let graph = try SimulatedGraphs.matmul(a.type, b.type)
    #expect(try SimulatedTestDevice.device("tpu-v5e").evaluate(graph, on: [a, b])[0].scalars == [0])
    #expect(try SimulatedTestDevice.device("trainium1").evaluate(graph, on: [a, b])[0].scalars == [0x1p-30])
}

@Test func accumulationFollowsTheNativeKTileOrder() throws {
    // 2^24 followed by 255 ones: within a k-tile each 1 is lost against 2^24 (ties to even),
    // but each later tile's ones sum exactly before joining the accumulator.
    let k = 256
    let a = SimulatedGraphs.tensor(TensorType(.f32, [1, k]), [0x1p24] + [Double](repeating: 1, count: k - 1))
    let b = SimulatedGraphs.tensor(TensorType(.f32, [k, 1]), [Double](repeating: 1, count: k))
    let graph = try SimulatedGraphs.matmul(a.type, b.type)
    // TPU and Trainium: tiles of 128 -> 2^24 + 128 (tile 0 loses its 127 ones).
    #expect(try SimulatedTestDevice.device("tpu-v5e").evaluate(graph, on: [a, b])[0].scalars == [16_777_344])
    #expect(try SimulatedTestDevice.device("trainium1").evaluate(graph, on: [a, b])[0].scalars == [16_777_344])
    // Ascend fp32 fractals are 8 deep: tile 0 loses 7 ones, the other 31 tiles add 8 each -> 2^24 + 248.
    #expect(try SimulatedTestDevice.device("ascend-910b").evaluate(graph, on: [a, b])[0].scalars == [16_777_464])
    // The interpreter sums exactly (2^24 + 255) and rounds once to f32: 2^24 + 256.
    #expect(try Interpreter().run(graph, inputs: [a, b])[0].scalars == [16_777_472])
}

@Test func sumsAccumulateInFP32ChunksCombinedPairwise() throws {
    let builder = GraphBuilder(name: "sum")
    let x = builder.parameter(TensorType(.f32, [2, 256]), name: "x")
    let graph = builder.build(returning: [try builder.reduce(.sum, x, over: [1])])
    let row = [0x1p24] + [Double](repeating: 1, count: 255)
    let input = SimulatedGraphs.tensor(TensorType(.f32, [2, 256]), row + row.reversed())
    // Row 0: chunk 0 = 2^24 (its 127 ones lost), chunk 1 = 128: 2^24 + 128.
    // Row 1: chunk 0 = 128, chunk 1 = 127 + 2^24 -> 2^24 + 128 (ties to even), then 128 + that: 2^24 + 256.
    for id in SimulatedTestDevice.profileIDs {
        #expect(try SimulatedTestDevice.device(id).evaluate(graph, on: [input])[0].scalars == [16_777_344, 16_777_472], "\(id)")
    }
    #expect(try Interpreter().run(graph, inputs: [input])[0].scalars == [16_777_472, 16_777_472])
}

@Test func ascendRoundsF16ChainsAfterEveryOpAndTPUOnceAtTheStore() throws {
    // (a·a − 1) for a = 1 + 2^-6 + 2^-10: a² = 1 + 2^-5 + 2^-9 + 2^-12 + 2^-16 + 2^-20 exactly.
    let builder = GraphBuilder(name: "chain")
    let x = builder.parameter(TensorType(.f16, [1]), name: "a")
    let graph = builder.build(returning: [try builder.sub(builder.mul(x, x), builder.constant(1, TensorType(.f16, [1])))])
    let input = SimulatedGraphs.tensor(TensorType(.f16, [1]), [1 + 0x1p-6 + 0x1p-10])
    // fp16 after every op: a² rounds to 1 + 2^-5 + 2^-9, so the difference is 2^-5 + 2^-9.
    let perOp = 0x1p-5 + 0x1p-9
    #expect(try Interpreter().run(graph, inputs: [input])[0].scalars == [perOp])
    #expect(try SimulatedTestDevice.device("ascend-910b").evaluate(graph, on: [input])[0].scalars == [perOp])
    // fp32 inside the kernel, one fp16 rounding at the store (fp16 step 2^-15 here): 2^-5 + 2^-9 + 2^-12 + 2^-15.
    let once = 0x1p-5 + 0x1p-9 + 0x1p-12 + 0x1p-15
    #expect(try SimulatedTestDevice.device("tpu-v5e").evaluate(graph, on: [input])[0].scalars == [once])
    #expect(try SimulatedTestDevice.device("trainium1").evaluate(graph, on: [input])[0].scalars == [once])
}

@Test func ascendConvolutionsRoundOperandsToHF32() throws {
    let builder = GraphBuilder(name: "conv")
    let x = builder.parameter(TensorType(.f32, [1, 3, 1]), name: "x"), w = builder.parameter(TensorType(.f32, [1, 1, 1]), name: "w")
    let graph = builder.build(returning: [try builder.convolution(x, w, .plain(spatialRank: 1))])
    // 1 + 2^-13 keeps only 11 mantissa bits in hf32, so it rounds to 1; 1 + 2^-11 survives.
    let input = SimulatedGraphs.tensor(TensorType(.f32, [1, 3, 1]), [1 + 0x1p-13, 1 + 0x1p-11, 3])
    let filter = SimulatedGraphs.tensor(TensorType(.f32, [1, 1, 1]), [1])
    #expect(try SimulatedTestDevice.device("ascend-910b").evaluate(graph, on: [input, filter])[0].scalars == [1, 1 + 0x1p-11, 3])
    #expect(try Interpreter().run(graph, inputs: [input, filter])[0].scalars == [1 + 0x1p-13, 1 + 0x1p-11, 3])
}

@Test(arguments: [MatrixPrecision.bf16x1, .bf16x3, .bf16x6, .tf32, .native])
func moreBF16PassesComeCloserToTheF32Product(_ precision: MatrixPrecision) throws {
    let device = try SimulatedTestDevice.device("tpu-v5e") { $0.fp32Matmul = precision }
    let k = 64
    let generator = Philox(seed: 5)
    let a = SimulatedGraphs.tensor(TensorType(.f32, [4, k]), (0..<(4 * k)).map { generator.uniform(at: $0) * 2 - 1 })
    let b = SimulatedGraphs.tensor(TensorType(.f32, [k, 3]), (0..<(3 * k)).map { generator.uniform(at: 1000 + $0) * 2 - 1 })
    let graph = try SimulatedGraphs.matmul(a.type, b.type)
    let got = try device.evaluate(graph, on: [a, b])[0]
    let want = try Interpreter().run(graph, inputs: [a, b])[0]
    let error = Tolerance.worstError(got, want)
    // Two units in the last place of the effective operand format, times the depth's square root.
    let bound: Double = switch precision {
    case .bf16x1: 2 * 0x1p-7
    case .tf32: 2 * 0x1p-10
    case .bf16x3: 2 * 0x1p-15
    case .bf16x6, .native, .hf32, .fp16: 2 * 0x1p-20  // fp32 rounding of products and sums
    }
    #expect(error <= bound * Double(k).squareRoot(), "\(precision): error \(error)")
    if precision == .bf16x1 { #expect(error > 2 * 0x1p-15 * Double(k).squareRoot(), "one bf16 pass must be visibly coarser") }
}

@Test(arguments: SimulatedTestDevice.profileIDs)
func runsAreBitReproducible(_ id: String) throws {
    let device = try SimulatedTestDevice.device(id)
    let example = try #require(PrimitiveCatalog.cases.first { $0.name == "matmul f32 batched" })
    let inputs = example.inputs(seed: 9)
    let first = try device.evaluate(example.graph, on: inputs)
    let second = try device.evaluate(example.graph, on: inputs, asynchronously: true)
    #expect(first.map(\.deviceBytes) == second.map(\.deviceBytes))
}

@Test func largeGEMMsGiveTheSameBitsWhateverTheRowSplit() throws {
    // 256 x 128 x 128 is above the parallel threshold; one row at a time is below it.
    let (m, n, k) = (256, 128, 128)
    #expect(m * n * k >= SimulatedContraction.parallelWork)
    let generator = Philox(seed: 3)
    let a = (0..<(m * k)).map { Float(generator.uniform(at: $0) * 2 - 1) }
    let b = (0..<(k * n)).map { Float(generator.uniform(at: 100_000 + $0) * 2 - 1) }
    let whole = a.withUnsafeBufferPointer { left in
        b.withUnsafeBufferPointer { right in SimulatedContraction.gemm(left, right, m: m, n: n, k: k, depth: 128) }
    }
    var rowByRow: [Float] = []
    for row in 0..<m {
        rowByRow += a.withUnsafeBufferPointer { left in
            b.withUnsafeBufferPointer { right in
                SimulatedContraction.gemm(UnsafeBufferPointer(rebasing: left[(row * k)..<((row + 1) * k)]), right, m: 1, n: n, k: k, depth: 128)
            }
        }
    }
    #expect(whole.map(\.bitPattern) == rowByRow.map(\.bitPattern))
}
