import Foundation
import KernelIR
import Testing
@testable import Backends

// The cost model of accelerators.md §5 against figures worked out by hand (the arithmetic is
// written out beside each expectation), and the properties it must have: big square GEMMs near
// peak, skinny and badly aligned ones far from it, elementwise kernels at HBM bandwidth.

/// The modeled cost of `a @ b` on profile `id` computed in blocks of `block`.
private func matrixCost(_ id: String, _ a: TensorType, _ b: TensorType, block: GEMMShape) throws -> (KernelCost, waves: Int) {
    let lowering = TileLowering(profile: try SimulatedTestDevice.profile(id))
    let kernel = try #require(Fusion.schedule(try SimulatedGraphs.matmul(a, b)).kernels.first)
    let problem = try lowering.problem(of: kernel)
    let matrix = MatrixLowering(profile: lowering.profile, numerics: lowering.numerics, model: lowering.model, device: lowering.device)
    let padded = matrix.padding(problem.shape, unitBytes: problem.precision?.unitBytes ?? 4).padded
    let candidate = matrix.evaluate(block, stageDepth: nil, buffers: [], problem, padded: padded)
    return (candidate.cost, candidate.waves)
}

/// The tile program of a one-function graph on profile `id`.
private func program(_ id: String, _ build: (GraphBuilder) throws -> Value) throws -> TileProgram {
    let builder = GraphBuilder(name: "g")
    let graph = builder.build(returning: [try build(builder)])
    return try SimulatedTestDevice.device(id).tileProgram(for: Fusion.schedule(graph))
}

private func expectClose(_ got: Double, _ want: Double, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(Swift.abs(got - want) <= 1e-9 * Swift.abs(want), "\(what): \(got), expected \(want)", sourceLocation: sourceLocation)
}

@Test func tpuSquareGEMMInGivenBlocksMatchesTheHandFigures() throws {
    // bf16 1024³ in 512x512x128 blocks: 2 x 2 = 4 blocks, one TensorCore, so 4 waves.
    let type = TensorType(.bf16, [1024, 1024])
    let (cost, waves) = try matrixCost("tpu-v5e", type, type, block: GEMMShape(m: 512, n: 512, k: 128))
    #expect(waves == 4)
    // w = ⌈512/128⌉·⌈128/128⌉·⌈512/128⌉ = 16 ≥ 4: all MXUs busy. 4 · 2·512·512·1024 / 197e12.
    expectClose(cost.matrixTime, 4 * 2 * 512 * 512 * 1024 / 197e12, "matrix time")
    // Q: A (2 MiB) read once per column of blocks (2), B (2 MiB) once per row (2), C (2 MiB) written once.
    #expect(cost.hbmBytes == 2 * 2_097_152 + 2 * 2_097_152 + 2_097_152)
    expectClose(cost.dmaTime, 10_485_760 / 819e9, "dma time")
    // Fill: the first block's A and B slices (512x128 and 128x512 bf16) plus the last output block (512x512 bf16).
    expectClose(cost.fill, (512.0 * 128 * 2 + 128 * 512 * 2 + 512 * 512 * 2) / 819e9, "fill")
    let time = 1e-6 + 786_432 / 819e9 + 10_485_760 / 819e9
    expectClose(cost.time, time, "time")
    expectClose(cost.cycles, time * 1.5e9, "cycles")
    expectClose(cost.utilization, 2_147_483_648 / (time * 197e12), "utilization")
    #expect(cost.bound == .memory && cost.paddingWaste == 0)
}

@Test func ascendBlocksShareTwentyFourCoresAndL2ServesRereads() throws {
    // f16 512³ in 128x128x64 blocks: 16 blocks over 24 cube cores, one wave with 8 cores idle.
    let type = TensorType(.f16, [512, 512])
    let (cost, waves) = try matrixCost("ascend-910b", type, type, block: GEMMShape(m: 128, n: 128, k: 64))
    #expect(waves == 1)
    expectClose(cost.lastWaveIdle, 8.0 / 24, "idle fraction of the last wave")
    // One block per busy core: 2·128·128·512 FLOPs at a 24th of 353.8944 TFLOP/s.
    expectClose(cost.matrixTime, 2 * 128 * 128 * 512 / (353_894_400_000_000.0 / 24), "matrix time")
    // Both operands (512 KiB each) fit the 192 MiB L2, so HBM sees each once, plus the f16 output.
    #expect(cost.hbmBytes == 3 * 524_288)
    let fill = (128.0 * 64 * 2 + 64 * 128 * 2 + 128 * 128 * 2) / 1.6e12
    expectClose(cost.time, 5e-6 + fill + 2 * 128 * 128 * 512 / (353_894_400_000_000.0 / 24), "time")
    #expect(cost.bound == .launch)
}

@Test func trainiumPadsRowsAndDepthTo128AndSplitsColumnsIn512s() throws {
    // bf16 [200, 384] x [384, 1000]: M pads to 256, K stays 384, N = 512 + 488 (≥ 64, so unpadded).
    let (cost, waves) = try matrixCost("trainium1", TensorType(.bf16, [200, 384]), TensorType(.bf16, [384, 1000]),
                                       block: GEMMShape(m: 128, n: 512, k: 128))
    #expect(waves == 2, "2 x 2 blocks over 2 NeuronCores")
    expectClose(cost.paddingWaste, 1 - 200.0 / 256, "padding waste (only M is padded)")
    // Balanced blocks: 256/2 = 128 rows, 1000/2 = 500 columns; 2 waves at 95 TFLOP/s per core.
    expectClose(cost.matrixTime, 2 * 2 * 128 * 500 * 384 / 95e12, "matrix time")
    // HBM is unpadded: A 200·384·2 twice, B 384·1000·2 twice, C 200·1000·2 once.
    #expect(cost.hbmBytes == 2 * 153_600 + 2 * 768_000 + 400_000)
    let fill = (128.0 * 128 * 2 + 128 * 500 * 2 + 128 * 500 * 2) / 820e9
    expectClose(cost.time, 2e-6 + fill + 2_243_200 / 820e9, "time")
    #expect(cost.bound == .memory)
}

@Test(arguments: SimulatedTestDevice.profileIDs)
func bigSquareGEMMsApproachPeakAndSkinnyOrOddOnesDoNot(_ id: String) throws {
    let square = try program(id) { b in
        try b.matmul(b.parameter(TensorType(.bf16, [4096, 4096])), b.parameter(TensorType(.bf16, [4096, 4096])))
    }
    #expect(square.cost.utilization > 0.95, "\(id): 4096³ at \(square.cost.utilization)")
    #expect(square.kernels[0].cost.bound == .matrix)
    let skinny = try program(id) { b in
        try b.matmul(b.parameter(TensorType(.bf16, [8, 4096])), b.parameter(TensorType(.bf16, [4096, 4096])))
    }
    #expect(skinny.cost.utilization < 0.05 && skinny.kernels[0].cost.bound == .memory, "\(id): 8x4096x4096 at \(skinny.cost.utilization)")
    let odd = try program(id) { b in
        try b.matmul(b.parameter(TensorType(.bf16, [129, 129])), b.parameter(TensorType(.bf16, [129, 129])))
    }
    let padded: Double = switch id {
    case "tpu-v5e": 136 * 256 * 256        // M to 8, N and K to 128
    case "ascend-910b": 144 * 144 * 144    // 16-element fractals
    default: 256 * 129 * 256               // Trainium: M and K to 128, N = 129 ≥ 64 columns
    }
    expectClose(odd.kernels[0].cost.paddingWaste, 1 - 129.0 * 129 * 129 / padded, "\(id): padding waste of 129³")
    #expect(odd.cost.utilization < 0.05)
}

@Test(arguments: SimulatedTestDevice.profileIDs)
func elementwiseKernelsRunAtHBMBandwidth(_ id: String) throws {
    let profile = try SimulatedTestDevice.profile(id)
    let type = TensorType(.f32, [4096, 4096])
    let run = try program(id) { b in try b.add(b.parameter(type), b.parameter(type)) }
    // Two 64 MiB inputs read, one written: 192 MiB at the profile's bandwidth, plus the launch.
    #expect(run.cost.hbmBytes == 3 * 67_108_864)
    expectClose(run.cost.time, profile.launchOverhead + 201_326_592 / profile.bandwidth, "\(id): time")
    #expect(run.kernels[0].cost.bound == .memory)
    for entry in run.kernels[0].peakOnChip { #expect(entry.bytes <= entry.capacity, "\(id): \(entry.buffer)") }
}

@Test func tpuArraysOccupyWhole8By128Tiles() throws {
    // [4096, 100] f32 is stored as [4096, 128]: a third more traffic than its bytes.
    let type = TensorType(.f32, [4096, 100])
    let tpu = try program("tpu-v5e") { b in try b.add(b.parameter(type), b.parameter(type)) }
    #expect(tpu.cost.hbmBytes == 3 * 4096 * 128 * 4)
    let trainium = try program("trainium1") { b in try b.add(b.parameter(type), b.parameter(type)) }
    #expect(trainium.cost.hbmBytes == 3 * 4096 * 100 * 4)
    // A vector fills whole 8 x 128 tiles, not 8 rows per element: 1000 f32 take 1024.
    let vector = TensorType(.f32, [1000])
    let tpuVector = try program("tpu-v5e") { b in try b.add(b.parameter(vector), b.parameter(vector)) }
    #expect(tpuVector.cost.hbmBytes == 3 * 1024 * 4)
    // Ascend moves rows in 32-byte units: 100 f32 = 400 B per row becomes 416 B.
    let ascend = try program("ascend-910b") { b in try b.add(b.parameter(type), b.parameter(type)) }
    #expect(ascend.cost.hbmBytes == 3 * 4096 * 416)
}

@Test func runCostSumsItsKernels() throws {
    let program = try program("trainium1") { b in
        let x = b.parameter(TensorType(.f32, [256, 512])), w = b.parameter(TensorType(.f32, [512, 256]))
        return try b.reduce(.sum, b.tanh(b.matmul(x, w)), over: [1])
    }
    #expect(program.kernels.count == 2)
    expectClose(program.cost.time, program.kernels[0].cost.time + program.kernels[1].cost.time, "run time")
    #expect(program.cost.hbmBytes == program.kernels[0].cost.hbmBytes + program.kernels[1].cost.hbmBytes)
    #expect(program.cost.matrixFLOPs == 2 * 256 * 512 * 256)
    expectClose(program.cost.utilization, Double(2 * 256 * 512 * 256) / 190e12 / program.cost.time, "utilization (f32 runs at the bf16 rate)")
    #expect(program.text.contains("every time below is MODELED"))
}
