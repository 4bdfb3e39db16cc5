import Foundation

/// A learning rate as a function of the step, recorded as IR inside the training step, so one compiled
/// step serves every iteration with no value sent from the host.
public protocol LearningRateSchedule: Sendable {
    /// The rate for `step`, the 1-based number of the step being taken (an `f32[]` tensor).
    /// - Throws: ``RuntimeError`` only for a malformed step tensor.
    func learningRate(at step: Tensor) throws(RuntimeError) -> Tensor
    /// The same rate computed on the host, for logs and tests.
    func learningRate(at step: Int) -> Double
}

/// One rate for every step.
public struct ConstantLearningRate: LearningRateSchedule {
    /// The rate.
    public var value: Double

    /// A constant rate.
    public init(_ value: Double) { self.value = value }

    /// `value`, as a constant of `step`'s dtype.
    /// - Throws: never; typed for the protocol.
    public func learningRate(at step: Tensor) throws(RuntimeError) -> Tensor { Tensor(value, dtype: step.dtype, on: step.device) }

    /// `value`.
    public func learningRate(at step: Int) -> Double { value }
}

/// Linear warmup from 0 to `peak` over `warmupSteps`, then a half cosine from `peak` down to `minimum` at
/// `totalSteps`, and `minimum` after: the schedule most transformer training uses.
///
/// For step `s` (1-based): `peak * s / warmupSteps` while `s <= warmupSteps`, else
/// `minimum + (peak - minimum) * (1 + cos(pi * p)) / 2` with `p = min(1, (s - warmupSteps) / (totalSteps - warmupSteps))`.
public struct WarmupCosineSchedule: LearningRateSchedule {
    /// The rate at the end of warmup.
    public var peak: Double
    /// Steps of linear warmup (0 for none).
    public var warmupSteps: Int
    /// The step at which the cosine reaches `minimum`.
    public var totalSteps: Int
    /// The final rate.
    public var minimum: Double

    /// A warmup-then-cosine schedule.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` unless `0 <= warmupSteps < totalSteps`.
    public init(peak: Double, warmupSteps: Int, totalSteps: Int, minimum: Double = 0) throws(RuntimeError) {
        guard warmupSteps >= 0, totalSteps > warmupSteps else {
            throw .invalidArgument(operation: "WarmupCosineSchedule", reason: "needs 0 <= warmupSteps < totalSteps, "
                + "got warmupSteps \(warmupSteps) and totalSteps \(totalSteps)")
        }
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minimum = minimum
    }

    /// The schedule recorded as `select(step <= warmup, warmup ramp, cosine)`.
    /// - Throws: ``RuntimeError`` only for a non-floating step tensor.
    public func learningRate(at step: Tensor) throws(RuntimeError) -> Tensor {
        let span = Double(totalSteps - warmupSteps)
        let progress = try ((step - Double(warmupSteps)) / span).minimum(1).maximum(0)
        let cosine = try minimum + (peak - minimum) * 0.5 * ((progress * Double.pi).cos() + 1)
        guard warmupSteps > 0 else { return cosine }
        let ramp = try step * (peak / Double(warmupSteps))
        return try Tensor.select(step .<= Double(warmupSteps), ramp, cosine)
    }

    /// The same formula in `Double`.
    public func learningRate(at step: Int) -> Double {
        if step <= warmupSteps, warmupSteps > 0 { return peak * Double(step) / Double(warmupSteps) }
        let progress = Swift.min(1, Swift.max(0, Double(step - warmupSteps) / Double(totalSteps - warmupSteps)))
        return minimum + (peak - minimum) * 0.5 * (Foundation.cos(Double.pi * progress) + 1)
    }
}
