import Backends
import KernelIR

/// Layer normalisation over the last axis with biased variance and `epsilon`, optionally followed by a
/// learned per-feature scale (`weight`) and shift (`bias`). VDiT uses it without the affine part.
public struct LayerNorm: UnaryLayer {
    /// Added to the variance before the square root.
    public var epsilon: Double
    /// The per-feature scale, `[width]`, when affine.
    public var weight: Tensor?
    /// The per-feature shift, `[width]`, when affine.
    public var bias: Tensor?

    /// A normalisation over `width` features; `affine` adds `weight` (ones) and `bias` (zeros).
    public init(width: Int, epsilon: Double = 1e-6, affine: Bool = false, dtype: DType = .f32, on device: any Device) {
        self.epsilon = epsilon
        weight = affine ? Tensor.ones([width], dtype: dtype, on: device) : nil
        bias = affine ? Tensor.zeros([width], dtype: dtype, on: device) : nil
    }

    /// Visits `weight` and `bias` when affine; nothing otherwise.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        if var value = weight {
            try visit("weight", &value)
            weight = value
        }
        if var value = bias {
            try visit("bias", &value)
            bias = value
        }
    }

    /// `x` normalised over its last axis, then scaled and shifted when affine.
    /// - Throws: ``RuntimeError`` when `x`'s last axis is not the layer's width.
    public func callAsFunction(_ x: Tensor) throws(RuntimeError) -> Tensor {
        var y = try x.layerNorm(epsilon: epsilon)
        if let weight { y = try y * weight }
        if let bias { y = try y + bias }
        return y
    }
}
