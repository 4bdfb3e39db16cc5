import KernelIR

/// A whole training step (forward, gradients, clipping, loss scaling, optimizer update) compiled once as
/// one IR function and replayed, with the parameters and optimizer state kept on the device between steps.
///
/// ```swift
/// var model = try VDiT(configuration: .small, on: device)
/// let step = try TrainingStep(model: model, optimizer: AdamW(learningRate: 1e-3)) { model, batch throws(RuntimeError) in
///     try model.loss(batch)
/// }
/// for batch in loader {
///     let result = try step(batch)            // one launch; nothing is copied to the host
///     print(try result.loss.item)             // reading the loss is one transfer
/// }
/// model = step.model                          // the trained parameters, still on the device
/// ```
///
/// Each call binds the current parameters, state and batch to the compiled step and keeps its outputs as
/// the next call's inputs. A batch of a new shape traces and compiles once more.
public final class TrainingStep<Model: Layer> {
    /// The model with its current parameters (device arrays after the first step).
    public private(set) var model: Model
    /// The optimizer whose update the step records.
    public let optimizer: any Optimizer
    /// Precision, loss scaling and clipping.
    public let options: TrainingOptions
    /// The optimizer's step count and per-parameter state, on the device.
    public private(set) var optimizerState: OptimizerState
    /// The dynamic loss scale, `f32[]` (1 when loss scaling is off).
    public private(set) var lossScale: Tensor
    /// Finite steps since the loss scale last changed, `f32[]`.
    public private(set) var stepsSinceScaleChange: Tensor
    /// Steps skipped so far because their gradients overflowed, `f32[]`.
    public private(set) var skippedSteps: Tensor

    private let function: CompiledTensorFunction
    private let parameterCount: Int
    private let slotCount: Int

    /// A training step for `model` under `optimizer`, minimising what `loss` returns for a batch.
    ///
    /// `loss` receives the model in the compute dtype and the batch as given; it must return a floating scalar.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for a model without parameters or parameters
    ///   on several devices.
    public init(model: Model, optimizer: any Optimizer, options: TrainingOptions = TrainingOptions(),
                loss: @escaping (Model, [Tensor]) throws(RuntimeError) -> Tensor) throws(RuntimeError) {
        let parameters = model.namedParameters.map(\.tensor)
        guard let device = parameters.first?.device else {
            throw .invalidArgument(operation: "TrainingStep", reason: "the model has no parameters to train")
        }
        if let other = parameters.first(where: { $0.device.id != device.id }) {
            throw .invalidArgument(operation: "TrainingStep", reason: "parameters live on \(device.id) and \(other.device.id); move them to one device")
        }
        self.model = model
        self.optimizer = optimizer
        self.options = options
        optimizerState = try optimizer.initialState(for: parameters)
        lossScale = Tensor(options.lossScaling?.initialScale ?? 1, on: device)
        stepsSinceScaleChange = Tensor(0, on: device)
        skippedSteps = Tensor(0, on: device)
        parameterCount = parameters.count
        slotCount = optimizer.stateNames.count
        let layout = StepLayout(parameterCount: parameters.count, slotCount: optimizer.stateNames.count)
        function = device.compile { (inputs: [Tensor]) throws(RuntimeError) -> [Tensor] in
            try Self.record(inputs, layout: layout, template: model, optimizer: optimizer, options: options, loss: loss)
        }
    }

    /// Takes one step on `batch`: one launch of the compiled step, tracing and compiling first for a new batch shape.
    /// - Throws: what `loss` throws while traced (a batch of the wrong shape names the expected one), or
    ///   ``RuntimeError/backend(_:)`` when the device fails.
    @discardableResult
    public func callAsFunction(_ batch: [Tensor]) throws(RuntimeError) -> TrainingStepResult {
        let parameters = model.namedParameters.map(\.tensor)
        let inputs = parameters + optimizerState.slots.flatMap { $0 }
            + [optimizerState.step, lossScale, stepsSinceScaleChange, skippedSteps] + batch
        let outputs = try function(inputs)
        let layout = StepLayout(parameterCount: parameterCount, slotCount: slotCount)
        var index = 0
        model = try model.mapParameters { (_: String, _: Tensor) throws(RuntimeError) -> Tensor in
            defer { index += 1 }
            return outputs[layout.outputParameters.lowerBound + index]
        }
        let slots = Array(outputs[layout.outputSlots])
        optimizerState = OptimizerState(step: outputs[layout.outputCounters.lowerBound],
                                        slots: (0..<parameterCount).map { Array(slots[($0 * slotCount)..<(($0 + 1) * slotCount)]) })
        lossScale = outputs[layout.outputCounters.lowerBound + 1]
        stepsSinceScaleChange = outputs[layout.outputCounters.lowerBound + 2]
        skippedSteps = outputs[layout.outputCounters.lowerBound + 3]
        return TrainingStepResult(loss: outputs[0], gradientNorm: outputs[1], learningRate: outputs[2], skippedSteps: skippedSteps)
    }

    /// Takes one step on a batch of host values, copying them to the device first.
    /// - Throws: as ``callAsFunction(_:)-([Tensor])`` does, or ``RuntimeError/backend(_:)`` when a copy fails.
    @discardableResult
    public func callAsFunction(_ batch: [TensorValue]) throws(RuntimeError) -> TrainingStepResult {
        var tensors: [Tensor] = []
        for value in batch { tensors.append(try Tensor(value, on: function.device)) }
        return try self(tensors)
    }

    /// Replaces the parameters and optimizer state, e.g. from a checkpoint; the types must match the current ones.
    /// - Throws: ``RuntimeError/parameterMismatch(key:reason:)`` for a mismatched parameter,
    ///   ``RuntimeError/invalidArgument(operation:reason:)`` for state of another layout.
    public func restore(model: Model, optimizerState: OptimizerState, lossScale: Tensor? = nil,
                        stepsSinceScaleChange: Tensor? = nil, skippedSteps: Tensor? = nil) throws(RuntimeError) {
        var checked = self.model
        try checked.update(parameters: model.parameters)
        let current = self.optimizerState.tensors, given = optimizerState.tensors
        guard current.map(\.type) == given.map(\.type) else {
            throw .invalidArgument(operation: "TrainingStep.restore", reason: "optimizer state of \(given.count) tensors does not match "
                + "the optimizer's \(current.count) (\(optimizer.stateNames.joined(separator: ", ")) per parameter, plus the step)")
        }
        for scalar in [lossScale, stepsSinceScaleChange, skippedSteps].compactMap({ $0 }) where scalar.type != TensorType(.f32, []) {
            throw .invalidArgument(operation: "TrainingStep.restore", reason: "loss-scaling counters are f32[], got \(scalar.type)")
        }
        self.model = checked
        self.optimizerState = optimizerState
        if let lossScale { self.lossScale = lossScale }
        if let stepsSinceScaleChange { self.stepsSinceScaleChange = stepsSinceScaleChange }
        if let skippedSteps { self.skippedSteps = skippedSteps }
    }

    /// The IR of the compiled step for a batch of `batchTypes`, once a step with such a batch has run.
    public func graph(forBatch batchTypes: [TensorType]) -> Graph? {
        let stateTypes = (model.namedParameters.map(\.tensor) + optimizerState.slots.flatMap { $0 }
            + [optimizerState.step, lossScale, stepsSinceScaleChange, skippedSteps]).map(\.type)
        return function.graph(for: stateTypes + batchTypes)
    }
}

/// What one training step reports, as device scalars: reading one is one transfer, so a loop that does
/// not look stays on the device.
public struct TrainingStepResult: Sendable {
    /// The loss before the update (unscaled), `f32[]`.
    public let loss: Tensor
    /// The global L2 norm of the gradients before clipping (unscaled), `f32[]`; infinite or NaN on overflow.
    public let gradientNorm: Tensor
    /// The learning rate the step used, `f32[]`.
    public let learningRate: Tensor
    /// Steps skipped so far because their gradients overflowed (loss scaling only), `f32[]`.
    public let skippedSteps: Tensor
}
