import Backends
import KernelIR

/// vdit.md's conditioning on diffusion time: a fixed sinusoidal embedding of width `frequencyWidth`
/// followed by `fc2(silu(fc1(.)))`.
///
/// Parameters: `fc1.weight` `[frequencyWidth, width]`, `fc1.bias`, `fc2.weight` `[width, width]`, `fc2.bias`.
public struct TimestepEmbedding: UnaryLayer {
    /// The first projection, from the sinusoidal features.
    public var fc1: Linear
    /// The second projection.
    public var fc2: Linear
    /// The width of the sinusoidal features (vdit.md: 64).
    public let frequencyWidth: Int

    /// An embedding into `width` features, seeded from `seed`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for an odd `frequencyWidth` or a non-positive width.
    public init(width: Int, frequencyWidth: Int = 64, initializer: Initializer = .normal(standardDeviation: 0.02), seed: Int,
                dtype: DType = .f32, on device: any Device) throws(RuntimeError) {
        guard frequencyWidth > 0, frequencyWidth % 2 == 0 else {
            throw .invalidArgument(operation: "TimestepEmbedding", reason: "frequencyWidth must be even and positive, got \(frequencyWidth)")
        }
        self.frequencyWidth = frequencyWidth
        fc1 = try Linear(frequencyWidth, width, initializer: initializer, seed: ParameterSeed.derive(seed, path: "fc1"), dtype: dtype, on: device)
        fc2 = try Linear(width, width, initializer: initializer, seed: ParameterSeed.derive(seed, path: "fc2"), dtype: dtype, on: device)
    }

    /// Visits `fc1.*`, then `fc2.*`.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try fc1.visitParameters(under: "fc1", visit)
        try fc2.visitParameters(under: "fc2", visit)
    }

    /// The embedding of `f32[B]` times in `[0, 1]`, `[B, width]`, in the layers' dtype.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for times that are not `f32[B]`.
    public func callAsFunction(_ time: Tensor) throws(RuntimeError) -> Tensor {
        let features = try time.timestepEmbedding(width: frequencyWidth).asType(fc1.weight.dtype)
        return try fc2(fc1(features).silu())
    }
}
