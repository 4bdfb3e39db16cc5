import Backends
import KernelIR

/// `y = x @ weight + bias` with the weight stored `[in, out]` (vdit.md's layout, not PyTorch's `[out, in]`).
///
/// Parameters: `weight` `[inputWidth, outputWidth]` and, unless made without one, `bias` `[outputWidth]`.
public struct Linear: UnaryLayer {
    /// The weights, `[in, out]`.
    public var weight: Tensor
    /// The bias, `[out]`, or `nil` for a layer without one.
    public var bias: Tensor?

    /// A layer with `weight` from `initializer` (seeded with `seed`) and a zero bias unless `bias` is `false`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for a non-positive width or negative seed.
    public init(_ inputWidth: Int, _ outputWidth: Int, bias: Bool = true, initializer: Initializer = .normal(standardDeviation: 0.02),
                biasInitializer: Initializer = .zeros, seed: Int, dtype: DType = .f32, on device: any Device) throws(RuntimeError) {
        guard inputWidth > 0, outputWidth > 0 else {
            throw .invalidArgument(operation: "Linear", reason: "widths must be positive, got \(inputWidth) -> \(outputWidth)")
        }
        weight = try initializer.tensor([inputWidth, outputWidth], dtype: dtype, seed: seed, on: device)
        self.bias = bias ? try biasInitializer.tensor([outputWidth], dtype: dtype, seed: ParameterSeed.derive(seed, path: "bias"), on: device) : nil
    }

    /// A layer holding the given tensors.
    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// The input width.
    public var inputWidth: Int { weight.shape[0] }
    /// The output width.
    public var outputWidth: Int { weight.shape[1] }

    /// Visits `weight`, then `bias`.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try visit("weight", &weight)
        if var value = bias {
            try visit("bias", &value)
            bias = value
        }
    }

    /// `x @ weight + bias` over the last axis of `x`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when `x`'s last axis is not the input width.
    public func callAsFunction(_ x: Tensor) throws(RuntimeError) -> Tensor { try x.linear(weight: weight, bias: bias) }
}
