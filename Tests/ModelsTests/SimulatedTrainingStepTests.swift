import Backends
import KernelIR
import Models
import Runtime
import Testing

// The vdit-s training step (the benchmark configuration) lowers on every shipped profile: every
// tile fits its buffers, blocks are whole tiles, and the run's figures add up.

@Test(arguments: ["sim:ascend-910b", "sim:tpu-v5e", "sim:trainium1"])
func vditSmallTrainingStepLowersWithinEveryBuffer(_ id: String) throws {
    let device = try #require(try Runtime.device(id) as? SimulatedDevice)
    let step = try VDiTProgram(configuration: .small).trainingStepGraph().optimized()
    let schedule = Fusion.schedule(step)
    let program = try device.tileProgram(for: schedule)
    #expect(program.kernels.count == schedule.kernels.count)
    var matrixFLOPs = 0
    for kernel in program.kernels {
        for entry in kernel.peakOnChip {
            #expect(entry.bytes <= entry.capacity, "\(id) kernel #\(kernel.index) '\(kernel.name)': \(entry.buffer) \(entry.bytes) > \(entry.capacity)")
        }
        if case let .matrix(tiles) = kernel.work {
            #expect(tiles.block.m % tiles.tile.m == 0 && tiles.block.k % tiles.tile.k == 0, "\(id) #\(kernel.index): blocks are whole tiles")
            #expect(tiles.padded.m >= tiles.problem.m && tiles.padded.n >= tiles.problem.n && tiles.padded.k >= tiles.problem.k)
            #expect(tiles.blockCount > 0 && tiles.waves * tiles.units >= tiles.blockCount)
            matrixFLOPs += tiles.problem.flops
        }
        #expect(kernel.cost.time >= kernel.cost.launch + Swift.max(kernel.cost.matrixTime, kernel.cost.vectorTime, kernel.cost.dmaTime))
    }
    #expect(program.cost.matrixFLOPs == matrixFLOPs)
    // Every matmul FLOP of the step is a contraction kernel's: 3x the forward count of vdit.md, give or take
    // the attention products the backward pass forms twice.
    let forward = VDiTConfiguration.small.forwardFLOPs
    #expect(matrixFLOPs >= 3 * forward * 9 / 10 && matrixFLOPs <= 3 * forward * 12 / 10, "\(matrixFLOPs) vs 3 x \(forward)")
    #expect(program.cost.utilization > 0 && program.cost.utilization < 1)
}
