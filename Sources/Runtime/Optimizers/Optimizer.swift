import KernelIR

/// An optimizer whose update is IR: recorded into the traced training step, run on the device with the
/// rest of it, never on the host.
///
/// An optimizer names the state it keeps per parameter (``stateNames``, zeros at the start) and records
/// one parameter's update at a time. ``update(_:gradients:state:)`` applies it to a whole model's
/// parameters and advances the step count, for use inside ``Backends/Device/compile(_:)``;
/// ``TrainingStep`` does all of it for a ``Layer``.
public protocol Optimizer: Sendable {
    /// The state kept per parameter, e.g. `["m", "v"]`; each has its parameter's type and starts at zero.
    var stateNames: [String] { get }
    /// The learning rate by step.
    var schedule: any LearningRateSchedule { get }
    /// Records the update of one parameter: the new parameter and state (one tensor per ``stateNames``).
    /// - Parameters:
    ///   - learningRate: the schedule's rate for this step, `f32[]`.
    ///   - step: the 1-based number of the step being taken, `f32[]`.
    /// - Throws: ``RuntimeError`` when the tensors' types do not agree.
    func update(_ parameter: Tensor, gradient: Tensor, state: [Tensor], learningRate: Tensor,
                step: Tensor) throws(RuntimeError) -> (parameter: Tensor, state: [Tensor])
}

/// An optimizer's state for a list of parameters: the steps taken so far and each parameter's state tensors.
public struct OptimizerState: Sendable {
    /// Steps taken so far, `f32[]` (exact up to 2^24 steps).
    public var step: Tensor
    /// For each parameter, one tensor per ``Optimizer/stateNames``.
    public var slots: [[Tensor]]

    /// Creates a state.
    public init(step: Tensor, slots: [[Tensor]]) {
        self.step = step
        self.slots = slots
    }

    /// Every tensor, step first, then the slots parameter by parameter: how the state travels through a compiled step.
    public var tensors: [Tensor] { [step] + slots.flatMap { $0 } }

    /// The state read back from ``tensors``' layout, for `parameterCount` parameters with `slotCount` slots each.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the count does not fit.
    public init(tensors: [Tensor], parameterCount: Int, slotCount: Int) throws(RuntimeError) {
        guard tensors.count == 1 + parameterCount * slotCount, let step = tensors.first else {
            throw .invalidArgument(operation: "OptimizerState(tensors:)", reason: "needs 1 + \(parameterCount) x \(slotCount) tensors, got \(tensors.count)")
        }
        self.step = step
        slots = (0..<parameterCount).map { index in Array(tensors[(1 + index * slotCount)..<(1 + (index + 1) * slotCount)]) }
    }
}

extension Optimizer {
    /// Zero state for `parameters` at step 0, on their device (recipes: nothing is copied from the host).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for no parameters.
    public func initialState(for parameters: [Tensor]) throws(RuntimeError) -> OptimizerState {
        guard let device = parameters.first?.device else {
            throw .invalidArgument(operation: "Optimizer.initialState", reason: "there are no parameters to optimize")
        }
        let slots = parameters.map { parameter in stateNames.map { _ in Tensor.zeros(like: parameter) } }
        return OptimizerState(step: Tensor.zeros([], on: device), slots: slots)
    }

    /// Records one step for every parameter: the new parameters and state, with the step count advanced.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the counts differ, or what ``update(_:gradient:state:learningRate:step:)`` throws.
    public func update(_ parameters: [Tensor], gradients: [Tensor], state: OptimizerState) throws(RuntimeError) -> ([Tensor], OptimizerState) {
        guard parameters.count == gradients.count, parameters.count == state.slots.count else {
            throw .invalidArgument(operation: "Optimizer.update", reason: "needs one gradient and one state per parameter; got "
                + "\(parameters.count) parameters, \(gradients.count) gradients, \(state.slots.count) states")
        }
        let step = try state.step + 1
        let rate = try schedule.learningRate(at: step)
        var updated: [Tensor] = [], slots: [[Tensor]] = []
        for index in parameters.indices {
            let result = try update(parameters[index], gradient: gradients[index], state: state.slots[index], learningRate: rate, step: step)
            updated.append(result.parameter)
            slots.append(result.state)
        }
        return (updated, OptimizerState(step: step, slots: slots))
    }
}
