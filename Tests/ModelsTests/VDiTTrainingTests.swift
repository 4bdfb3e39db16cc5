import Foundation
import Testing
@testable import KernelIR
@testable import Models
import Runtime

@Test func trainerOnCPUFollowsTheFixtureLosses() throws {
    let fixture = try VDiTFixture()
    let trainer = try VDiTTrainer(configuration: .test, device: Runtime.device("cpu:0"),
                                  checkpoint: Checkpoint(fixture.weights))
    let batch = try TrainingBatch(fixture.batch)
    let losses = try (0..<fixture.losses.count).map { _ in try trainer.step(batch) }
    for (actual, expected) in zip(losses, fixture.losses) {
        #expect(isClose(actual, expected, relative: 1e-4), "\(losses) vs \(fixture.losses)")
    }
    #expect(trainer.completedSteps == 5)
}

@Test func resumingFromACheckpointFileContinuesBitIdentically() throws {
    let device = try Runtime.device("cpu:0")
    let batches = RectifiedFlowBatches(configuration: .test, seed: 11)
    let straight = try VDiTTrainer(model: VDiT(configuration: .test, on: device, seed: 11))
    let straightLosses = try (0..<4).map { try straight.step(batches.batch(at: $0)) }

    let first = try VDiTTrainer(model: VDiT(configuration: .test, on: device, seed: 11))
    let firstLosses = try (0..<2).map { try first.step(batches.batch(at: $0)) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("acc-resume-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try first.checkpoint(random: RandomState(seed: 11, counter: 2)).write(to: url)
    let saved = try Checkpoint(contentsOf: url)
    #expect(saved.step == 2 && saved.random.counter == 2)
    let resumed = try VDiTTrainer(configuration: .test, device: device, checkpoint: saved)
    #expect(resumed.completedSteps == 2)
    let resumedLosses = try (saved.random.counter..<4).map { try resumed.step(batches.batch(at: $0)) }

    #expect(firstLosses + resumedLosses == straightLosses)
    let a = try straight.checkpoint(random: RandomState(seed: 11, counter: 4))
    let b = try resumed.checkpoint(random: RandomState(seed: 11, counter: 4))
    #expect(a == b, "parameters and AdamW moments are bit-identical")
}

@Test func velocityMatchesTheFixtureLoss() throws {
    // The sampler integrates the model's velocity; at x_t it must score the fixture's loss against eps - x0.
    let fixture = try VDiTFixture()
    let device = try Runtime.device("cpu:0")
    let trainer = try VDiTTrainer(configuration: .test, device: device, checkpoint: Checkpoint(fixture.weights))
    let batch = try TrainingBatch(fixture.batch)
    let clipShape = batch.x0.shape
    let perClip = clipShape.elementCount / clipShape[0]
    let noisy = batch.x0.scalars.indices.map { i in
        let t = batch.t.scalars[i / perClip]
        return (1 - t) * batch.x0.scalars[i] + t * batch.eps.scalars[i]
    }
    let velocity = try trainer.model.velocity(Tensor(TensorValue(converting: noisy, to: batch.x0.type), on: device),
                                              time: Tensor(batch.t, on: device)).scalars
    var loss = 0.0
    for i in noisy.indices {
        let target = batch.eps.scalars[i] - batch.x0.scalars[i]
        loss += (velocity[i] - target) * (velocity[i] - target)
    }
    loss /= Double(noisy.count)
    #expect(isClose(loss, fixture.loss, relative: 1e-4), "\(loss) vs \(fixture.loss)")
}

@Test func samplerWithAZeroModelReturnsItsStartingNoise() throws {
    // adaLN-Zero makes a fresh model's velocity exactly 0, so every Euler step leaves x unchanged.
    let device = try Runtime.device("cpu:0")
    let model = try VDiT(configuration: .test, on: device, seed: 2)
    let clips = try EulerSampler(steps: 3).sample(model, seed: 4)
    #expect(clips.type == VDiTProgram(configuration: .test).batchParameters[0].type)
    let noise = RandomStream(seed: 4, purpose: .sample, item: 0)
    #expect(clips.scalars == (0..<clips.scalars.count).map { DType.f32.converting(noise.normal($0)) })
    let gif = try GIFDecoder(AnimatedGIF(clips: clips).encoded())
    #expect(gif.frames.count == VDiTConfiguration.test.frames)
}

@Test func samplerMovesNoiseTowardsTheData() throws {
    // A model trained a little on bouncing shapes pulls samples towards the dark background.
    let device = try Runtime.device("cpu:0")
    let trainer = try VDiTTrainer(model: VDiT(configuration: .test, on: device, seed: 5), learningRate: 3e-3)
    let batches = RectifiedFlowBatches(configuration: .test, seed: 5)
    for index in 0..<40 { try trainer.step(batches.batch(at: index)) }
    let clips = try EulerSampler(steps: 10).sample(trainer.model, seed: 1)
    let mean = clips.scalars.reduce(0, +) / Double(clips.scalars.count)
    #expect(mean < -0.3, "sample mean \(mean): noise has mean 0, the data about -0.7")
}

@Test func trainerRejectsMismatchedWeightsNamingTheKey() throws {
    let fixture = try VDiTFixture()
    var parameters = fixture.weights.tensors
    parameters["blocks.1.qkv.weight"] = TensorValue(repeating: 0, TensorType(.f32, [32, 64]))
    let error = #expect(throws: TrainingError.self) {
        try VDiTTrainer(configuration: .test, device: Runtime.device("cpu:0"), checkpoint: Checkpoint(parameters: parameters))
    }
    #expect(error == .checkpoint(.shapeMismatch("blocks.1.qkv.weight", expected: [32, 96], found: [32, 64])))
}
