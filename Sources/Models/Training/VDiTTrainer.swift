import Foundation
import Backends
import KernelIR
import Runtime

/// Trains a VDiT on one device: the whole step of vdit.md (loss, gradients, AdamW) is one compiled
/// function, and parameters and AdamW moments stay on the device between steps.
///
/// A class because it owns device memory: two sets of state buffers, written alternately, so a step
/// allocates nothing but its batch. Only the loss (a scalar) comes back to the host each step.
///
/// ```swift
/// let trainer = try VDiTTrainer(configuration: .small, device: try Runtime.device("cpu:0"),
///                               checkpoint: Checkpoint(parameters: program.initialParameters(seed: 0)))
/// let loader = BatchLoader(RectifiedFlowBatches(configuration: .small, seed: 0))
/// for _ in 0..<300 { let loss = try trainer.step(loader.next()) }
/// try trainer.checkpoint(random: RandomState(seed: 0, counter: 300)).write(to: url)
/// ```
public final class VDiTTrainer {
    /// AdamW's slot names in checkpoints: first moments `m.<key>`, second moments `v.<key>`.
    public static let optimizerSlots = ["m", "v"]

    /// The model's program.
    public let program: VDiTProgram
    /// The compiled training step.
    public let function: CompiledFunction
    /// The AdamW learning rate.
    public var learningRate: Double
    /// The AdamW decoupled weight decay.
    public var weightDecay: Double
    /// Steps taken so far (restored from a checkpoint); the next is `completedSteps + 1`.
    public private(set) var completedSteps: Int

    /// Parameters, first moments and second moments, each in ``VDiTProgram/parameters`` order.
    private var state: [DeviceArray]
    /// Where the next step writes: the loss, then the new state.
    private var spare: [DeviceArray]

    /// A trainer for `configuration` on `device`, starting from `checkpoint`: its parameters, and its
    /// AdamW moments and step if it has them (else zero moments at step 0, as for a PyTorch export).
    /// - Throws: ``TrainingError/checkpoint(_:)`` naming a missing, unexpected or mistyped key;
    ///   ``TrainingError/program(_:)`` or ``TrainingError/runtime(_:)`` when the step cannot be compiled or loaded.
    public init(configuration: VDiTConfiguration, device: any Device, checkpoint: Checkpoint,
                learningRate: Double = 1e-3, weightDecay: Double = 0) throws(TrainingError) {
        program = VDiTProgram(configuration: configuration)
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        do { try checkpoint.validate(against: program.parameters, optimizerSlots: Self.optimizerSlots) } catch {
            throw .checkpoint(error)
        }
        let hasMoments = !checkpoint.optimizerState.isEmpty
        completedSteps = hasMoments ? checkpoint.step : 0
        let graph: Graph
        do { graph = try program.trainingStepGraph() } catch { throw .program(error) }
        do throws(RuntimeError) {
            function = try device.compile(graph)
            var values: [TensorValue] = []
            for parameter in program.parameters {
                values.append(checkpoint.parameters[parameter.name] ?? TensorValue(repeating: 0, parameter.type))
            }
            for slot in Self.optimizerSlots {
                for parameter in program.parameters {
                    values.append(checkpoint.optimizerState[slot + "." + parameter.name] ?? TensorValue(repeating: 0, parameter.type))
                }
            }
            state = try values.map { value throws(RuntimeError) in try DeviceArray(value, on: device) }
            spare = try function.outputTypes.map { type throws(RuntimeError) in try DeviceArray(uninitialized: type, on: device) }
        } catch {
            throw .runtime(error)
        }
    }

    /// The parameters on the device, in ``VDiTProgram/parameters`` order (for ``EulerSampler``).
    public var parameters: [DeviceArray] { Array(state.prefix(program.parameters.count)) }

    /// Takes one AdamW step on `batch` and returns the loss before the update.
    /// - Throws: ``TrainingError/batchShapeMismatch(_:expected:found:model:)`` for a batch of another shape,
    ///   ``TrainingError/runtime(_:)`` when the device fails.
    @discardableResult
    public func step(_ batch: TrainingBatch) throws(TrainingError) -> Double {
        try batch.validate(for: program.configuration)
        let step = completedSteps + 1
        let scalars = [learningRate, weightDecay, 1 - pow(0.9, Double(step)), 1 - pow(0.999, Double(step))]
        do throws(RuntimeError) {
            let device = function.device
            var inputs = state
            for value in batch.values { inputs.append(try DeviceArray(value, on: device)) }
            for value in scalars { inputs.append(try DeviceArray(TensorValue(converting: [value], to: TensorType(.f32, [])), on: device)) }
            try function.run(inputs, into: spare)
            let loss = try spare[0].toHost().scalars[0]
            let written = Array(spare.dropFirst())
            spare = [spare[0]] + state
            state = written
            completedSteps = step
            return loss
        } catch {
            throw .runtime(error)
        }
    }

    /// The training state as a checkpoint: parameters, AdamW moments, the step, and `random`, copied to the host.
    /// - Throws: ``TrainingError/runtime(_:)`` when the device fails.
    public func checkpoint(random: RandomState, metadata: [String: String] = [:]) throws(TrainingError) -> Checkpoint {
        let names = program.parameters.map(\.name)
        var parameters: [String: TensorValue] = [:], moments: [String: TensorValue] = [:]
        do throws(RuntimeError) {
            for (index, name) in names.enumerated() {
                parameters[name] = try state[index].toHost()
                for (slotIndex, slot) in Self.optimizerSlots.enumerated() {
                    moments[slot + "." + name] = try state[(slotIndex + 1) * names.count + index].toHost()
                }
            }
        } catch {
            throw .runtime(error)
        }
        var fullMetadata = metadata
        fullMetadata["model"] = program.configuration.name
        return Checkpoint(parameters: parameters, optimizerState: moments, optimizerSlots: Self.optimizerSlots,
                          step: completedSteps, random: random, metadata: fullMetadata)
    }
}
