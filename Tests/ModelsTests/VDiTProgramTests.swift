import Testing
@testable import KernelIR
@testable import Models

@Test func trainingStepScheduleFusesAndPlansMemory() throws {
    let step = try VDiTProgram(configuration: .test).trainingStepGraph().optimized()
    try Verifier.verify(step)
    let schedule = Fusion.schedule(step)
    print("ops \(step.instructions.count) kernels \(schedule.kernels.count) peak \(schedule.peakBytes) unplanned \(MemoryPlan.unplannedBytes(of: schedule))")
    #expect(schedule.peakBytes < MemoryPlan.unplannedBytes(of: schedule))
}
