import Backends
import KernelIR

/// Multi-head self-attention as VDiT uses it: one fused `qkv` projection (columns `[q | k | v]`), scaled
/// dot-product attention per head, and an output projection `proj`.
///
/// Parameters: `qkv.weight` `[width, 3 width]`, `qkv.bias`, `proj.weight` `[width, width]`, `proj.bias`; a
/// transformer block usually lists them directly under its own path (`blocks.0.qkv.weight`).
public struct MultiHeadAttention: UnaryLayer {
    /// The fused query, key and value projection.
    public var qkv: Linear
    /// The output projection.
    public var proj: Linear
    /// The number of heads; it divides the width.
    public let heads: Int

    /// Attention over `width` features split into `heads` heads, projections seeded from `seed`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when `heads` does not divide `width`.
    public init(width: Int, heads: Int, initializer: Initializer = .normal(standardDeviation: 0.02), seed: Int,
                dtype: DType = .f32, on device: any Device) throws(RuntimeError) {
        guard heads > 0, width % heads == 0 else {
            throw .invalidArgument(operation: "MultiHeadAttention", reason: "\(heads) heads do not divide the width \(width)")
        }
        self.heads = heads
        qkv = try Linear(width, 3 * width, initializer: initializer, seed: ParameterSeed.derive(seed, path: "qkv"), dtype: dtype, on: device)
        proj = try Linear(width, width, initializer: initializer, seed: ParameterSeed.derive(seed, path: "proj"), dtype: dtype, on: device)
    }

    /// Visits `qkv.*`, then `proj.*`.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try qkv.visitParameters(under: "qkv", visit)
        try proj.visitParameters(under: "proj", visit)
    }

    /// Self-attention of `x`, `[batch, tokens, width]`.
    /// - Throws: ``RuntimeError`` when `x` is not `[batch, tokens, width]`.
    public func callAsFunction(_ x: Tensor) throws(RuntimeError) -> Tensor {
        let parts = try qkv(x).split(parts: 3, axis: 2)
        return try proj(Tensor.attention(query: parts[0], key: parts[1], value: parts[2], heads: heads))
    }
}
