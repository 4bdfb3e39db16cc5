import KernelIR

/// How a ``TrainingStep`` computes: the dtype of the forward and backward passes, loss scaling, and
/// gradient clipping. Parameters and optimizer state always stay `f32` (master weights).
public struct TrainingOptions: Sendable {
    /// The dtype the model computes in: `f32`, or `bf16`/`f16` for mixed precision (parameters are cast
    /// inside the step; gradients arrive in `f32` through the cast's gradient).
    public var computeDType: DType
    /// Dynamic loss scaling, which `f16` needs to keep small gradients from flushing to zero; `nil` for none.
    public var lossScaling: DynamicLossScaling?
    /// Clip gradients so their global L2 norm is at most this (PyTorch's `clip_grad_norm_`); `nil` for no clipping.
    public var maximumGradientNorm: Double?

    /// Options; `f16` gets ``DynamicLossScaling``'s defaults unless `lossScaling` is given.
    public init(computeDType: DType = .f32, lossScaling: DynamicLossScaling? = nil, maximumGradientNorm: Double? = nil) {
        self.computeDType = computeDType
        self.lossScaling = lossScaling ?? (computeDType == .f16 ? DynamicLossScaling() : nil)
        self.maximumGradientNorm = maximumGradientNorm
    }
}

/// Dynamic loss scaling (PyTorch's `GradScaler`): the loss is multiplied by `scale` before differentiation
/// and the gradients divided by it after. A step whose gradients overflow (any infinity or NaN) is skipped
/// (parameters, optimizer state and step count unchanged) and the scale multiplied by `backoffFactor`;
/// after `growthInterval` finite steps in a row the scale is multiplied by `growthFactor`.
public struct DynamicLossScaling: Hashable, Sendable {
    /// The scale of the first step.
    public var initialScale: Double
    /// The factor applied after `growthInterval` finite steps.
    public var growthFactor: Double
    /// The factor applied after an overflow.
    public var backoffFactor: Double
    /// Finite steps in a row before the scale grows.
    public var growthInterval: Int

    /// PyTorch's defaults: 2^16, x2 every 2000 finite steps, x0.5 on overflow.
    public init(initialScale: Double = 65536, growthFactor: Double = 2, backoffFactor: Double = 0.5, growthInterval: Int = 2000) {
        self.initialScale = initialScale
        self.growthFactor = growthFactor
        self.backoffFactor = backoffFactor
        self.growthInterval = growthInterval
    }
}

extension Tensor {
    /// The L2 norm of all `tensors` together, `sqrt(sum of every element squared)`, as `f32[]`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for no tensors.
    public static func globalNorm(_ tensors: [Tensor]) throws(RuntimeError) -> Tensor {
        guard let first = tensors.first else { throw .invalidArgument(operation: "globalNorm", reason: "needs at least one tensor") }
        var total = try first.asType(.f32).square().sum()
        for tensor in tensors.dropFirst() { total = try total + tensor.asType(.f32).square().sum() }
        return try total.sqrt()
    }

    /// `tensors` scaled by `min(1, maximumNorm / (norm + 1e-6))` so their global norm is at most `maximumNorm`,
    /// and the norm before clipping: PyTorch's `clip_grad_norm_`.
    /// - Throws: as ``globalNorm(_:)`` does.
    public static func clippedByGlobalNorm(_ tensors: [Tensor], maximumNorm: Double) throws(RuntimeError) -> (tensors: [Tensor], norm: Tensor) {
        let norm = try globalNorm(tensors)
        let factor = try (maximumNorm / (norm + 1e-6)).minimum(1)
        var clipped: [Tensor] = []
        for tensor in tensors { clipped.append(try tensor * factor.asType(tensor.dtype)) }
        return (clipped, norm)
    }
}
