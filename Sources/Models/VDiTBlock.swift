import Runtime

/// One VDiT transformer block: adaLN-Zero modulation from the conditioning, attention and an MLP, each a
/// gated residual (vdit.md, "for each block i").
///
/// Parameters, under the block's path `blocks.{i}`: `ada` `[D, 6D]`, `qkv` `[D, 3D]`, `proj` `[D, D]`,
/// `fc1` `[D, 4D]`, `fc2` `[4D, D]`, each with a bias.
public struct VDiTBlock: Layer {
    /// The modulation: columns `shift1 | scale1 | gate1 | shift2 | scale2 | gate2`.
    public var ada: Linear
    /// Self-attention (`qkv`, `proj`), listed directly under the block's path.
    public var attention: MultiHeadAttention
    /// The MLP's expansion to `4D`.
    public var fc1: Linear
    /// The MLP's projection back to `D`.
    public var fc2: Linear

    /// A block of `width` features and `heads` heads: weights ~ N(0, 0.02²), biases 0, `ada` all zeros (adaLN-Zero).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when `heads` does not divide `width`.
    public init(width: Int, heads: Int, seed: Int, dtype: DType = .f32, on device: any Device) throws(RuntimeError) {
        ada = try Linear(width, 6 * width, initializer: .zeros, seed: ParameterSeed.derive(seed, path: "ada"), dtype: dtype, on: device)
        attention = try MultiHeadAttention(width: width, heads: heads, seed: seed, dtype: dtype, on: device)
        fc1 = try Linear(width, 4 * width, seed: ParameterSeed.derive(seed, path: "fc1"), dtype: dtype, on: device)
        fc2 = try Linear(4 * width, width, seed: ParameterSeed.derive(seed, path: "fc2"), dtype: dtype, on: device)
    }

    /// Visits `ada`, `qkv`, `proj`, `fc1`, `fc2` (weight, then bias, each), vdit.md's order.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try ada.visitParameters(under: "ada", visit)
        try attention.visitParameters(visit)
        try fc1.visitParameters(under: "fc1", visit)
        try fc2.visitParameters(under: "fc2", visit)
    }

    /// The block applied to tokens `x` (`[B, N, D]`) under activated conditioning `c` (`silu(c)`, `[B, D]`).
    /// - Throws: ``RuntimeError`` when the shapes do not fit the block.
    public func callAsFunction(_ x: Tensor, conditioning c: Tensor) throws(RuntimeError) -> Tensor {
        let modulation = try ada(c).split(parts: 6, axis: 1)
        let h = try x.layerNorm().modulated(shift: modulation[0], scale: modulation[1])
        var x = try x + modulation[2].expandedDimensions(axis: 1) * attention(h)
        let h2 = try x.layerNorm().modulated(shift: modulation[3], scale: modulation[4])
        x = try x + modulation[5].expandedDimensions(axis: 1) * fc2(fc1(h2).geluTanh())
        return x
    }
}

/// VDiT's output layer: adaLN modulation (`ada`, `[D, 2D]`: `shift | scale`) then a projection to patch
/// values (`out`, `[D, P]`), both zero-initialised (adaLN-Zero).
public struct VDiTFinalLayer: Layer {
    /// The final modulation.
    public var ada: Linear
    /// The projection to patch values.
    public var out: Linear

    /// The layer for `width` features and `patchSize` values per patch.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for non-positive sizes.
    public init(width: Int, patchSize: Int, seed: Int, dtype: DType = .f32, on device: any Device) throws(RuntimeError) {
        ada = try Linear(width, 2 * width, initializer: .zeros, seed: ParameterSeed.derive(seed, path: "ada"), dtype: dtype, on: device)
        out = try Linear(width, patchSize, initializer: .zeros, seed: ParameterSeed.derive(seed, path: "out"), dtype: dtype, on: device)
    }

    /// Visits `ada`, then `out`.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try ada.visitParameters(under: "ada", visit)
        try out.visitParameters(under: "out", visit)
    }

    /// `(LN(x) * (1 + scale) + shift) @ out`, `[B, N, P]`.
    /// - Throws: ``RuntimeError`` when the shapes do not fit.
    public func callAsFunction(_ x: Tensor, conditioning c: Tensor) throws(RuntimeError) -> Tensor {
        let modulation = try ada(c).split(parts: 2, axis: 1)
        return try out(x.layerNorm().modulated(shift: modulation[0], scale: modulation[1]))
    }
}
