import KernelIR

/// Adam with decoupled weight decay and bias correction, vdit.md's optimizer (`Kernels/adamw.kir`):
///
/// ```
/// m = b1 m + (1 - b1) g             v = b2 v + (1 - b2) g^2
/// p = p - lr wd p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
/// ```
/// with `t` the 1-based step. State: `m` and `v` per parameter.
public struct AdamW: Optimizer {
    /// The learning rate by step.
    public var schedule: any LearningRateSchedule
    /// The first moment's decay.
    public var beta1: Double
    /// The second moment's decay.
    public var beta2: Double
    /// Added to the denominator.
    public var epsilon: Double
    /// Decoupled weight decay, multiplied by the learning rate.
    public var weightDecay: Double

    /// AdamW with a constant learning rate; the defaults are vdit.md's (betas 0.9, 0.999, eps 1e-8, no decay).
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.init(schedule: ConstantLearningRate(learningRate), beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }

    /// AdamW following a learning-rate schedule.
    public init(schedule: any LearningRateSchedule, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.schedule = schedule
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// `["m", "v"]`: the first and second moments.
    public var stateNames: [String] { ["m", "v"] }

    /// Records the update with ``KernelIR/GraphBuilder/adamW(parameter:gradient:firstMoment:secondMoment:learningRate:weightDecay:biasCorrection1:biasCorrection2:beta1:beta2:epsilon:)``.
    /// - Throws: ``RuntimeError`` when the tensors' types do not agree.
    public func update(_ parameter: Tensor, gradient: Tensor, state: [Tensor], learningRate: Tensor,
                       step: Tensor) throws(RuntimeError) -> (parameter: Tensor, state: [Tensor]) {
        guard state.count == 2 else {
            throw .invalidArgument(operation: "AdamW.update", reason: "needs the state [m, v], got \(state.count) tensors")
        }
        let dtype = parameter.dtype
        let correction1 = try (1 - Tensor(beta1, dtype: step.dtype, on: step.device).pow(step)).asType(dtype)
        let correction2 = try (1 - Tensor(beta2, dtype: step.dtype, on: step.device).pow(step)).asType(dtype)
        let decay = Tensor(weightDecay, dtype: dtype, on: parameter.device)
        let inputs = [parameter, try gradient.asType(dtype), state[0], state[1], try learningRate.asType(dtype), decay, correction1, correction2]
        let (beta1, beta2, epsilon) = (self.beta1, self.beta2, self.epsilon)
        let results = try Tensor.compositeResults("AdamW", inputs) { b, v throws(KIRError) in
            let step = try b.adamW(parameter: v[0], gradient: v[1], firstMoment: v[2], secondMoment: v[3], learningRate: v[4],
                                   weightDecay: v[5], biasCorrection1: v[6], biasCorrection2: v[7], beta1: beta1, beta2: beta2, epsilon: epsilon)
            return [step.parameter, step.firstMoment, step.secondMoment]
        }
        return (results[0], [results[1], results[2]])
    }
}
