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
    let program = VDiTProgram(configuration: .test)
    let batches = RectifiedFlowBatches(configuration: .test, seed: 11)
    let start = Checkpoint(parameters: program.initialParameters(seed: 11))
    let straight = try VDiTTrainer(configuration: .test, device: device, checkpoint: start)
    let straightLosses = try (0..<4).map { try straight.step(batches.batch(at: $0)) }

    let first = try VDiTTrainer(configuration: .test, device: device, checkpoint: start)
    let firstLosses = try (0..<2).map { try first.step(batches.batch(at: $0)) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("acc-resume-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try first.checkpoint(random: RandomState(seed: 11, counter: 2)).write(to: url)
    let saved = try Checkpoint(contentsOf: url)
    #expect(saved.step == 2 && saved.random.counter == 2)
    let resumed = try VDiTTrainer(configuration: .test, device: device, checkpoint: saved)
    let resumedLosses = try (saved.random.counter..<4).map { try resumed.step(batches.batch(at: $0)) }

    #expect(firstLosses + resumedLosses == straightLosses)
    let a = try straight.checkpoint(random: RandomState(seed: 11, counter: 4))
    let b = try resumed.checkpoint(random: RandomState(seed: 11, counter: 4))
    #expect(a == b, "parameters and AdamW moments are bit-identical")
}

@Test func initialParametersFollowAdaLNZero() throws {
    let program = VDiTProgram(configuration: .test)
    let parameters = program.initialParameters(seed: 0)
    try Checkpoint(parameters: parameters).validate(against: program.parameters)
    for (name, value) in parameters {
        let isZero = name.hasSuffix(".bias") || name.contains(".ada.") || name.hasPrefix("final.out.")
        if isZero { #expect(value.scalars.allSatisfy { $0 == 0 }, "\(name)") } else {
            let deviation = (value.scalars.reduce(0) { $0 + $1 * $1 } / Double(value.scalars.count)).squareRoot()
            #expect(deviation > 0.015 && deviation < 0.025, "\(name): std \(deviation), want 0.02")
        }
    }
    #expect(parameters == program.initialParameters(seed: 0))
    #expect(parameters != program.initialParameters(seed: 1))
}

@Test func eulerVelocityMatchesTheFixtureLoss() throws {
    // One Euler step with dt = 1 from x_t gives x_t - v, so v recovered from it must score the fixture's loss.
    let fixture = try VDiTFixture()
    let program = VDiTProgram(configuration: .test)
    let batch = try TrainingBatch(fixture.batch)
    let clipShape = batch.x0.shape
    let perClip = clipShape.elementCount / clipShape[0]
    let noisy = batch.x0.scalars.indices.map { i in
        let t = batch.t.scalars[i / perClip]
        return (1 - t) * batch.x0.scalars[i] + t * batch.eps.scalars[i]
    }
    let inputs = try fixture.parameterValues(for: program)
        + [TensorValue(converting: noisy, to: batch.x0.type), batch.t, scalar(1)]
    let stepped = try Runtime.device("cpu:0").compile(program.eulerStepGraph())(inputs)[0].scalars
    var loss = 0.0
    for i in noisy.indices {
        let velocity = noisy[i] - stepped[i]
        let target = batch.eps.scalars[i] - batch.x0.scalars[i]
        loss += (velocity - target) * (velocity - target)
    }
    loss /= Double(noisy.count)
    #expect(isClose(loss, fixture.loss, relative: 1e-4), "\(loss) vs \(fixture.loss)")
}

@Test func samplerWithAZeroModelReturnsItsStartingNoise() throws {
    // adaLN-Zero makes a fresh model's velocity exactly 0, so every Euler step leaves x unchanged.
    let device = try Runtime.device("cpu:0")
    let program = VDiTProgram(configuration: .test)
    let trainer = try VDiTTrainer(configuration: .test, device: device, checkpoint: Checkpoint(parameters: program.initialParameters(seed: 2)))
    let sampler = try EulerSampler(program: program, device: device)
    let clips = try sampler.sample(parameters: trainer.parameters, steps: 3, seed: 4)
    #expect(clips.type == program.batchParameters[0].type)
    let noise = RandomStream(seed: 4, purpose: .sample, item: 0)
    #expect(clips.scalars == (0..<clips.scalars.count).map { DType.f32.converting(noise.normal($0)) })
    let gif = try GIFDecoder(AnimatedGIF(clips: clips).encoded())
    #expect(gif.frames.count == VDiTConfiguration.test.frames)
}

@Test func trainerRejectsMismatchedWeightsNamingTheKey() throws {
    let program = VDiTProgram(configuration: .test)
    var parameters = program.initialParameters(seed: 0)
    parameters["blocks.1.qkv.weight"] = TensorValue(repeating: 0, TensorType(.f32, [32, 64]))
    let error = #expect(throws: TrainingError.self) {
        try VDiTTrainer(configuration: .test, device: Runtime.device("cpu:0"), checkpoint: Checkpoint(parameters: parameters))
    }
    #expect(error == .checkpoint(.shapeMismatch("blocks.1.qkv.weight", expected: [32, 96], found: [32, 64])))
}
