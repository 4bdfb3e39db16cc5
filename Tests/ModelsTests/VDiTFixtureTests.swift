import Backends
import Foundation
import Testing
@testable import KernelIR
@testable import Models
import Backends
import Runtime

/// The vdit-test reference of ../shared/fixtures/vdit-test: weights, one batch, and float64 expectations.
struct VDiTFixture {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures/vdit-test", isDirectory: true)

    let weights: SafetensorsFile
    let batch: SafetensorsFile
    let loss: Double
    let gradientNorms: [String: Double]
    let losses: [Double]

    init() throws {
        weights = try SafetensorsFile(contentsOf: Self.directory.appendingPathComponent("weights.safetensors"))
        batch = try SafetensorsFile(contentsOf: Self.directory.appendingPathComponent("batch.safetensors"))
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("expected.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        loss = try #require(json["loss"] as? Double)
        gradientNorms = try #require(json["grad_norms"] as? [String: Double])
        losses = try #require(json["losses_5_steps"] as? [Double])
    }

    /// The weights in `program.parameters` order.
    func parameterValues(for program: VDiTProgram) throws -> [TensorValue] {
        try program.parameters.map { try weights.tensor(named: $0.name) }
    }

    /// `x0`, `eps`, `t`.
    func batchValues() throws -> [TensorValue] {
        try ["x0", "eps", "t"].map { try batch.tensor(named: $0) }
    }
}

func isClose(_ actual: Double, _ expected: Double, relative: Double) -> Bool {
    Swift.abs(actual - expected) <= relative * Swift.abs(expected)
}

func scalar(_ value: Double) -> TensorValue { TensorValue(converting: [value], to: TensorType(.f32, [])) }

/// Runs `steps` AdamW steps of `step` (a ``VDiTProgram/trainingStepGraph()``) from the fixture's
/// weights with zero moments, returning the loss at the start of each step.
func trainingLosses(_ run: (Graph, [TensorValue]) throws -> [TensorValue], step: Graph, program: VDiTProgram,
                    fixture: VDiTFixture, steps: Int) throws -> [Double] {
    var parameters = try fixture.parameterValues(for: program)
    var first = parameters.map { TensorValue(repeating: 0, $0.type) }
    var second = first
    let batch = try fixture.batchValues()
    var losses: [Double] = []
    for index in 1...steps {
        let corrections = [scalar(1e-3), scalar(0), scalar(1 - pow(0.9, Double(index))), scalar(1 - pow(0.999, Double(index)))]
        let outputs = try run(step, parameters + first + second + batch + corrections)
        losses.append(outputs[0].scalars[0])
        let count = parameters.count
        parameters = Array(outputs[1...count])
        first = Array(outputs[(count + 1)...(2 * count)])
        second = Array(outputs[(2 * count + 1)...(3 * count)])
    }
    return losses
}

@Test func forwardLossAndGradientNormsMatchTheFixture() throws {
    let fixture = try VDiTFixture()
    let program = VDiTProgram(configuration: .test)
    let lossAndGradients = try Gradient.valueAndGrad(of: program.lossGraph(), wrt: program.parameters.map(\.name))
    let outputs = try Interpreter().run(lossAndGradients, inputs: try fixture.parameterValues(for: program) + fixture.batchValues())
    #expect(isClose(outputs[0].scalars[0], fixture.loss, relative: 1e-4), "loss \(outputs[0].scalars[0]) vs \(fixture.loss)")
    #expect(fixture.gradientNorms.count == program.parameters.count)
    for (index, parameter) in program.parameters.enumerated() {
        let norm = outputs[1 + index].scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let expected = try #require(fixture.gradientNorms[parameter.name])
        #expect(isClose(norm, expected, relative: 1e-3), "\(parameter.name): \(norm) vs \(expected)")
    }
}

@Test func adamWStepsFollowTheFixtureLosses() throws {
    let fixture = try VDiTFixture()
    let program = VDiTProgram(configuration: .test)
    let step = try program.trainingStepGraph()
    let losses = try trainingLosses({ try Interpreter().run($0, inputs: $1) }, step: step, program: program,
                                    fixture: fixture, steps: fixture.losses.count)
    for (actual, expected) in zip(losses, fixture.losses) {
        #expect(isClose(actual, expected, relative: 1e-4), "\(losses) vs \(fixture.losses)")
    }
}

@Test func scheduledTrainingStepMatchesTheGraph() throws {
    let fixture = try VDiTFixture()
    let program = VDiTProgram(configuration: .test)
    let step = try program.trainingStepGraph()
    let schedule = Fusion.schedule(step)
    let direct = try trainingLosses({ try Interpreter().run($0, inputs: $1) }, step: step, program: program, fixture: fixture, steps: 2)
    let scheduled = try trainingLosses({ _, inputs in try Interpreter().run(schedule, inputs: inputs) }, step: step,
                                       program: program, fixture: fixture, steps: 2)
    for (a, b) in zip(direct, scheduled) { #expect(isClose(a, b, relative: 1e-5)) }
}

@Test func lossFallsOverThirtyStepsOnAFixedBatch() throws {
    let fixture = try VDiTFixture()
    let program = VDiTProgram(configuration: .test)
    let step = try program.trainingStepGraph().optimized()
    let losses = try trainingLosses({ try Interpreter().run($0, inputs: $1) }, step: step, program: program, fixture: fixture, steps: 30)
    let last = try #require(losses.last)
    #expect(last < 0.8 * losses[0], "\(losses)")
    #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 < $0 }, "\(losses)")
}

@Test func trainingStepOnCPUMatchesTheFixture() throws {
    try expectTrainingStepMatchesTheFixture(on: try Runtime.device("cpu:0"))
}

/// opencl:0 (PoCL in CI, where it is required): the same step, compiled to OpenCL C.
@Test func trainingStepOnOpenCLMatchesTheFixture() throws {
    guard let device = Runtime.devices.first(where: { $0.id.rawValue == "opencl:0" }) else {
        #expect(ProcessInfo.processInfo.environment["CI"] != "true", "CI requires opencl:0; discovery warnings: \(Runtime.discoveryWarnings)")
        return
    }
    try expectTrainingStepMatchesTheFixture(on: device)
}

/// Five AdamW steps on `device` follow the fixture's losses, and the gradient norms match it.
func expectTrainingStepMatchesTheFixture(on device: any Device) throws {
    let fixture = try VDiTFixture()
    let program = VDiTProgram(configuration: .test)
    let step = try program.trainingStepGraph()
    let compiled = try device.compile(step)
    let losses = try trainingLosses({ _, inputs in try compiled(inputs) }, step: step, program: program,
                                    fixture: fixture, steps: fixture.losses.count)
    for (actual, expected) in zip(losses, fixture.losses) {
        #expect(isClose(actual, expected, relative: 1e-4), "\(device.id): \(losses) vs \(fixture.losses)")
    }
    let lossAndGradients = try Gradient.valueAndGrad(of: program.lossGraph(), wrt: program.parameters.map(\.name))
    let outputs = try device.compile(lossAndGradients)(try fixture.parameterValues(for: program) + fixture.batchValues())
    for (index, parameter) in program.parameters.enumerated() {
        let norm = outputs[1 + index].scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let expected = try #require(fixture.gradientNorms[parameter.name])
        #expect(isClose(norm, expected, relative: 1e-3), "\(device.id) \(parameter.name): \(norm) vs \(expected)")
    }
}

/// The fixture's bounds on a simulated device, derived from how its matrix unit takes f32 operands.
///
/// - `native` (Ascend, CANN's fp32 Matmul default): the computation is f32 throughout, only the
///   accumulation order differs, so the fixture's f32 bounds hold: losses 1e-4, gradient norms 1e-3.
/// - `bf16x1` (TPU, Trainium): every matmul operand is rounded once to bf16, whose unit roundoff is
///   u = 2^-8 ≈ 3.9e-3, and a product of two rounded operands is off by at most 2u = 2^-7 ≈ 7.8e-3
///   (fp32 accumulation adds nothing at this scale). A gradient element is such a product (the last
///   matmul of its backward chain), so its norm is held to 2u. The loss is a mean of squared
///   residuals against a target computed without any matmul (exact f32), and the residuals' rounding
///   errors, of both signs, partly cancel in the mean; we hold it to one rounding, u, at every step:
///   AdamW's update is normalised (about lr per element whatever the gradient's size), so bf16 noise
///   in the gradients moves the following losses by the same order, not more. Measured: losses within
///   1.8e-5 and norms within 2.0e-3; one AdamW step moves the loss by 1.3%, 3.5 times u, so a skipped
///   or wrong update still fails.
struct SimulatedFixtureBounds: CustomTestStringConvertible, Sendable {
    var device: String
    var loss: Double
    var gradientNorm: Double
    var testDescription: String { "\(device) (losses \(loss), gradient norms \(gradientNorm))" }

    static let all = [
        SimulatedFixtureBounds(device: "sim:ascend-910b", loss: 1e-4, gradientNorm: 1e-3),
        SimulatedFixtureBounds(device: "sim:tpu-v5e", loss: 0x1p-8, gradientNorm: 0x1p-7),
        SimulatedFixtureBounds(device: "sim:trainium1", loss: 0x1p-8, gradientNorm: 0x1p-7),
    ]
}

@Test(arguments: SimulatedFixtureBounds.all)
func trainingStepOnEverySimulatedDeviceFollowsTheFixture(_ bounds: SimulatedFixtureBounds) throws {
    let fixture = try VDiTFixture()
    let program = VDiTProgram(configuration: .test)
    let device = try Runtime.device(bounds.device)
    let profile = try #require((device as? SimulatedDevice)?.profile)
    #expect(profile.fp32Matmul == (bounds.loss == 1e-4 ? .native : .bf16x1), "the bounds are derived for \(profile.id)'s fp32_matmul")
    let step = try program.trainingStepGraph()
    let compiled = try device.compile(step)
    let losses = try trainingLosses({ _, inputs in try compiled(inputs) }, step: step, program: program,
                                    fixture: fixture, steps: fixture.losses.count)
    for (actual, expected) in zip(losses, fixture.losses) {
        #expect(isClose(actual, expected, relative: bounds.loss), "\(bounds.device): \(losses) vs \(fixture.losses)")
    }
    #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 < $0 }, "\(bounds.device): the loss falls at every step: \(losses)")
    let lossAndGradients = try Gradient.valueAndGrad(of: program.lossGraph(), wrt: program.parameters.map(\.name))
    let outputs = try device.compile(lossAndGradients)(try fixture.parameterValues(for: program) + fixture.batchValues())
    for (index, parameter) in program.parameters.enumerated() {
        let norm = outputs[1 + index].scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let expected = try #require(fixture.gradientNorms[parameter.name])
        #expect(isClose(norm, expected, relative: bounds.gradientNorm), "\(bounds.device) \(parameter.name): \(norm) vs \(expected)")
    }
    let modeled = try #require((compiled.executable as? SimulatedExecutable)?.modeledCost)
    #expect(modeled.time > 0 && modeled.matrixFLOPs > 0 && modeled.utilization > 0 && modeled.utilization < 1)
}
