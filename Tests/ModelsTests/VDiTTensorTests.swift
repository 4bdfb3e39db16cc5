import Foundation
import Testing
@testable import Models
import Runtime

/// The vdit-test fixture loaded through the Tensor API: the model from weights.safetensors, the batch on `device`.
func fixtureModel(on device: any Device) throws -> (model: VDiT, batch: [Tensor], fixture: VDiTFixture) {
    let fixture = try VDiTFixture()
    var model = try VDiT(configuration: .test, on: device)
    try model.load(fixture.weights)
    let batch = try fixture.batchValues().map { (value: TensorValue) throws(RuntimeError) -> Tensor in try Tensor(value, on: device) }
    return (model, batch, fixture)
}

@Test func vdiTParameterPathsAreTheWorkloadKeys() throws {
    let device = try Runtime.device("cpu:0")
    for configuration in VDiTConfiguration.all {
        let model = try VDiT(configuration: configuration, on: device)
        let expected = VDiTProgram(configuration: configuration).parameters
        #expect(model.namedParameters.map(\.path) == expected.map(\.name), "\(configuration.name)")
        #expect(model.namedParameters.map(\.tensor.type) == expected.map(\.type), "\(configuration.name)")
    }
}

@Test func vdiTStartsAsVDiTMdSays() throws {
    let device = try Runtime.device("cpu:0")
    let model = try VDiT(configuration: .test, on: device, seed: 3)
    let parameters = model.parameters
    for (path, tensor) in model.namedParameters where path.hasSuffix("bias") || path.contains("ada.") || path.hasPrefix("final.out") {
        #expect(try tensor.scalars.allSatisfy { $0 == 0 }, "\(path) starts at zero")
    }
    let weights = try #require(parameters["blocks.1.qkv.weight"]).scalars
    let deviation = (weights.map { $0 * $0 }.reduce(0, +) / Double(weights.count)).squareRoot()
    #expect(Swift.abs(deviation - 0.02) < 0.002, "qkv weight standard deviation \(deviation)")
    let again = try VDiT(configuration: .test, on: device, seed: 3)
    #expect(try again.parameters["pos_embed"]?.scalars == parameters["pos_embed"]?.scalars)
}

@Test func vdiTLossAndGradientNormsMatchTheFixtureThroughTensors() throws {
    let device = try Runtime.device("cpu:0")
    let (model, batch, fixture) = try fixtureModel(on: device)
    let named = model.namedParameters
    let (loss, gradients) = try valueAndGrad(model.loss(batch), wrt: named.map(\.tensor))
    try Tensor.evaluate([loss] + gradients)
    let value = try loss.item
    #expect(isClose(value, fixture.loss, relative: 1e-4), "loss \(value) vs \(fixture.loss)")
    for ((path, _), gradient) in zip(named, gradients) {
        let norm = try gradient.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let expected = try #require(fixture.gradientNorms[path])
        #expect(isClose(norm, expected, relative: 1e-3), "\(path): \(norm) vs \(expected)")
    }
}

@Test func vdiTAdamWStepsMatchTheFixtureAndStayOnTheDevice() throws {
    let device = try Runtime.device("cpu:0")
    let (model, batch, fixture) = try fixtureModel(on: device)
    let step = try TrainingStep(model: model, optimizer: AdamW(learningRate: 1e-3)) { model, batch throws(RuntimeError) in
        try model.loss(batch)
    }
    var losses: [Tensor] = []
    let ((), counters) = try RuntimeCounters.counting { () throws(RuntimeError) in
        for _ in 0..<10 { losses.append(try step(batch).loss) }
    }
    #expect(counters.traces == 1, "\(counters)")
    #expect(counters.compileRequests <= 2, "the step, and the optimizer's initial state: \(counters)")
    #expect(counters.hostToDeviceTransfers == 0 && counters.deviceToHostTransfers == 0, "\(counters)")
    let values = try losses.map { (loss: Tensor) throws(RuntimeError) -> Double in try loss.item }
    for (actual, expected) in zip(values, fixture.losses) {
        #expect(isClose(actual, expected, relative: 1e-4), "\(values) vs \(fixture.losses)")
    }
    #expect(zip(values, values.dropFirst()).allSatisfy { $1 < $0 }, "\(values)")
}

@Test func vdiTBatchOfTheWrongShapeNamesTheExpectedShape() throws {
    let device = try Runtime.device("cpu:0")
    let model = try VDiT(configuration: .test, on: device)
    let clip = Tensor.zeros([2, 4, 16, 16, 3], on: device)
    var error = #expect(throws: RuntimeError.self) {
        try model.loss(x0: Tensor.zeros([2, 4, 16, 16, 4], on: device), noise: clip, time: Tensor.zeros([2], on: device))
    }
    #expect(error?.description == "@vdit-test loss: batch 'x0' must be f32[B, 4, 16, 16, 3] (B clips of T=4 frames of 16x16 "
        + "with C=3 channels), got f32[2, 4, 16, 16, 4]")
    error = #expect(throws: RuntimeError.self) { try model.loss(x0: clip, noise: clip, time: Tensor.zeros([3], on: device)) }
    #expect(error?.description == "@vdit-test loss: batch 't' must be f32[2] (one time in [0, 1] per clip), got f32[3]")
    let step = try TrainingStep(model: model, optimizer: AdamW()) { model, batch throws(RuntimeError) in try model.loss(batch) }
    error = #expect(throws: RuntimeError.self) { try step([clip, clip]) }
    #expect(error?.description == "@vdit-test loss: a batch is [x0, eps, t], got 2 tensors")
}

@Test func vdiTVelocityKeepsTheClipLayout() throws {
    let device = try Runtime.device("cpu:0")
    let (model, batch, _) = try fixtureModel(on: device)
    let velocity = try model.velocity(batch[1], time: batch[2])
    #expect(velocity.shape == [2, 4, 16, 16, 3])
    #expect(try velocity.allFinite().item == 1)
}

@Test func vdiTTrainsInBF16WithF32MasterWeights() throws {
    let device = try Runtime.device("cpu:0")
    let (model, batch, fixture) = try fixtureModel(on: device)
    let step = try TrainingStep(model: model, optimizer: AdamW(learningRate: 1e-3), options: TrainingOptions(computeDType: .bf16)) {
        model, batch throws(RuntimeError) in try model.loss(batch)
    }
    var losses: [Double] = []
    for _ in 0..<5 { losses.append(try step(batch).loss.item) }
    // bf16 keeps 8 significant bits: the loss agrees with the f32 reference to about a percent.
    for (actual, expected) in zip(losses, fixture.losses) {
        #expect(isClose(actual, expected, relative: 2e-2), "\(losses) vs \(fixture.losses)")
    }
    #expect(losses[4] < losses[0], "\(losses)")
    #expect(step.model.namedParameters.allSatisfy { $0.tensor.dtype == .f32 })
}

@Test(arguments: VDiTConfiguration.all)
func vdiTForwardRunsInEveryConfiguration(_ configuration: VDiTConfiguration) throws {
    let device = try Runtime.device("cpu:0")
    var model = try VDiT(configuration: configuration, on: device, seed: 1)
    let c = configuration
    let clips = try Tensor.normal([1, c.frames, c.resolution, c.resolution, c.channels], seed: 2, on: device)
    let time = try Tensor([0.5], shape: [1], on: device)
    // adaLN-Zero: the output layer starts at zero, so the first prediction is exactly zero.
    #expect(try model.velocity(clips, time: time).abs().max().item == 0)
    model.finalLayer.out.weight = try Tensor.normal(model.finalLayer.out.weight.shape, seed: 3, on: device)
    let velocity = try model.velocity(clips, time: time)
    #expect(velocity.shape == clips.shape)
    let magnitude = try velocity.abs().max().item
    #expect(magnitude > 0 && magnitude.isFinite, "\(magnitude)")
}

extension VDiTConfiguration: CustomTestStringConvertible {
    public var testDescription: String { name }
}
