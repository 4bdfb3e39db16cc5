import KernelIR

/// Stochastic gradient descent with momentum, PyTorch's formulation (dampening 0):
///
/// ```
/// g = g + wd p                 buffer = momentum buffer + g
/// p = p - lr (nesterov ? g + momentum buffer : buffer)
/// ```
/// State: `momentum` per parameter when `momentum` is not 0, none otherwise.
public struct SGD: Optimizer {
    /// The learning rate by step.
    public var schedule: any LearningRateSchedule
    /// The momentum factor (0 for plain SGD).
    public var momentum: Double
    /// Whether to use Nesterov momentum.
    public var nesterov: Bool
    /// L2 weight decay, added to the gradient.
    public var weightDecay: Double

    /// SGD with a constant learning rate.
    public init(learningRate: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.init(schedule: ConstantLearningRate(learningRate), momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
    }

    /// SGD following a learning-rate schedule.
    public init(schedule: any LearningRateSchedule, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// `["momentum"]`, or none without momentum.
    public var stateNames: [String] { momentum == 0 ? [] : ["momentum"] }

    /// Records the update.
    /// - Throws: ``RuntimeError`` when the tensors' types do not agree.
    public func update(_ parameter: Tensor, gradient: Tensor, state: [Tensor], learningRate: Tensor,
                       step: Tensor) throws(RuntimeError) -> (parameter: Tensor, state: [Tensor]) {
        guard state.count == stateNames.count else {
            throw .invalidArgument(operation: "SGD.update", reason: "needs \(stateNames.count) state tensors, got \(state.count)")
        }
        var g = try gradient.asType(parameter.dtype)
        if weightDecay != 0 { g = try g + weightDecay * parameter }
        let rate = try learningRate.asType(parameter.dtype)
        guard let buffer = state.first else { return (try parameter - rate * g, []) }
        let updated = try momentum * buffer + g
        let direction = nesterov ? try g + momentum * updated : updated
        return (try parameter - rate * direction, [updated])
    }
}
