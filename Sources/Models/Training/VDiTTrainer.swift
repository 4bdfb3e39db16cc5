import Foundation
import KernelIR
import Runtime

/// Trains a ``VDiT`` on its device with vdit.md's AdamW: a ``Runtime/TrainingStep`` (forward, gradients and
/// update compiled once as one IR function) plus what a training run needs around it: batches checked
/// against the configuration, the step count, and checkpoints in and out.
///
/// Parameters and AdamW moments stay on the device between steps; only the loss (a scalar) comes back
/// to the host each step. Not `Sendable`: one training loop drives it.
///
/// ```swift
/// let trainer = try VDiTTrainer(model: VDiT(configuration: .small, on: device, seed: 0))
/// let loader = BatchLoader(RectifiedFlowBatches(configuration: .small, seed: 0))
/// for _ in 0..<300 { let loss = try trainer.step(loader.next()) }
/// try trainer.checkpoint(random: RandomState(seed: 0, counter: 300)).write(to: url)
/// ```
public final class VDiTTrainer {
    /// AdamW's slot names in checkpoints: first moments `m.<key>`, second moments `v.<key>`.
    public static let optimizerSlots = ["m", "v"]

    /// The compiled step, holding the model and AdamW state.
    public let trainingStep: TrainingStep<VDiT>
    /// Steps taken so far (restored from a checkpoint); the next is `completedSteps + 1`.
    public private(set) var completedSteps: Int

    /// A trainer for `model` from step 0 with zero AdamW moments.
    /// - Throws: ``TrainingError/runtime(_:)`` when the step cannot be set up.
    public init(model: VDiT, learningRate: Double = 1e-3, weightDecay: Double = 0) throws(TrainingError) {
        do {
            trainingStep = try TrainingStep(model: model, optimizer: AdamW(learningRate: learningRate, weightDecay: weightDecay)) {
                model, batch throws(RuntimeError) in try model.loss(batch)
            }
        } catch {
            throw .runtime(error)
        }
        completedSteps = 0
    }

    /// A trainer for `configuration` on `device`, starting from `checkpoint`: its parameters, and its AdamW
    /// moments and step when it has them (else zero moments at step 0, as for weights exported by PyTorch).
    /// - Throws: ``TrainingError/checkpoint(_:)`` naming a missing, unexpected or mistyped key;
    ///   ``TrainingError/runtime(_:)`` when the parameters cannot be copied to the device.
    public convenience init(configuration: VDiTConfiguration, device: any Device, checkpoint: Checkpoint,
                            learningRate: Double = 1e-3, weightDecay: Double = 0) throws(TrainingError) {
        let expected = VDiTProgram(configuration: configuration).parameters
        do { try checkpoint.validate(against: expected, optimizerSlots: Self.optimizerSlots) } catch { throw .checkpoint(error) }
        var model: VDiT
        do throws(RuntimeError) {
            model = try VDiT(configuration: configuration, on: device)
            try model.load(SafetensorsFile(tensors: checkpoint.parameters))
        } catch {
            throw .runtime(error)
        }
        try self.init(model: model, learningRate: learningRate, weightDecay: weightDecay)
        guard !checkpoint.optimizerState.isEmpty else { return }
        do throws(RuntimeError) {
            var slots: [[Tensor]] = []
            for parameter in expected {
                var tensors: [Tensor] = []
                for slot in Self.optimizerSlots {
                    let value = checkpoint.optimizerState[slot + "." + parameter.name] ?? TensorValue(repeating: 0, parameter.type)
                    tensors.append(try Tensor(value, on: device))
                }
                slots.append(tensors)
            }
            let state = OptimizerState(step: try Tensor(TensorValue(converting: [Double(checkpoint.step)], to: TensorType(.f32, [])), on: device),
                                       slots: slots)
            try trainingStep.restore(model: trainingStep.model, optimizerState: state)
        } catch {
            throw .runtime(error)
        }
        completedSteps = checkpoint.step
    }

    /// The model with its current parameters, on the device.
    public var model: VDiT { trainingStep.model }

    /// Takes one AdamW step on `batch` and returns the loss before the update.
    /// - Throws: ``TrainingError/batchShapeMismatch(_:expected:found:model:)`` for a batch of another shape,
    ///   ``TrainingError/runtime(_:)`` when the device fails.
    @discardableResult
    public func step(_ batch: TrainingBatch) throws(TrainingError) -> Double {
        try batch.validate(for: model.configuration)
        do throws(RuntimeError) {
            let loss = try trainingStep(batch.values).loss.item
            completedSteps += 1
            return loss
        } catch {
            throw .runtime(error)
        }
    }

    /// The training state as a checkpoint: parameters, AdamW moments, the step, and `random`, copied to the host.
    /// - Throws: ``TrainingError/runtime(_:)`` when the device fails.
    public func checkpoint(random: RandomState, metadata: [String: String] = [:]) throws(TrainingError) -> Checkpoint {
        var parameters: [String: TensorValue] = [:], moments: [String: TensorValue] = [:]
        do throws(RuntimeError) {
            let slots = trainingStep.optimizerState.slots
            for (index, (path, tensor)) in model.namedParameters.enumerated() {
                parameters[path] = try tensor.array
                for (slotIndex, slot) in Self.optimizerSlots.enumerated() {
                    moments[slot + "." + path] = try slots[index][slotIndex].array
                }
            }
        } catch {
            throw .runtime(error)
        }
        var fullMetadata = metadata
        fullMetadata["model"] = model.configuration.name
        return Checkpoint(parameters: parameters, optimizerState: moments, optimizerSlots: Self.optimizerSlots,
                          step: completedSteps, random: random, metadata: fullMetadata)
    }
}
