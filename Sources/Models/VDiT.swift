import Runtime

/// The video diffusion transformer of vdit.md on the Tensor API, in any of its configurations.
///
/// Parameter paths are vdit.md's safetensors keys (`patch_embed.weight`, `blocks.0.qkv.bias`, ...), so
/// ``Runtime/Layer/load(from:)`` reads weights written by PyTorch with those names and ``Runtime/Layer/save(to:)``
/// writes weights PyTorch reads. The model computes in its parameters' dtype: cast them
/// (`mapParameters { try $1.asType(.bf16) }`) for mixed precision; inputs are converted on the way in.
///
/// ```swift
/// var model = try VDiT(configuration: .test, on: device, seed: 0)
/// let loss = try model.loss(x0: clips, noise: noise, time: t)     // rectified-flow loss, f32[]
/// ```
public struct VDiT: Layer {
    /// The sizes.
    public let configuration: VDiTConfiguration
    /// `patch_embed`: patches (`P`) to tokens (`D`).
    public var patchEmbedding: Linear
    /// `pos_embed`: a learned `[N, D]` position embedding.
    public var positionEmbedding: Tensor
    /// `t_embed`: the time conditioning.
    public var timeEmbedding: TimestepEmbedding
    /// `blocks.{i}`: the transformer blocks.
    public var blocks: [VDiTBlock]
    /// `final`: the output layer.
    public var finalLayer: VDiTFinalLayer

    /// A model initialised as vdit.md says (linear weights and `pos_embed` ~ N(0, 0.02²), biases 0, adaLN-Zero),
    /// from `seed`: the same seed gives the same weights on every device.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for an inconsistent configuration.
    public init(configuration: VDiTConfiguration, on device: any Device, seed: Int = 0, dtype: DType = .f32) throws(RuntimeError) {
        let c = configuration
        self.configuration = c
        patchEmbedding = try Linear(c.patchSize, c.width, seed: ParameterSeed.derive(seed, path: "patch_embed"), dtype: dtype, on: device)
        positionEmbedding = try Initializer.normal(standardDeviation: 0.02)
            .tensor([c.tokens, c.width], dtype: dtype, seed: ParameterSeed.derive(seed, path: "pos_embed"), on: device)
        timeEmbedding = try TimestepEmbedding(width: c.width, seed: ParameterSeed.derive(seed, path: "t_embed"), dtype: dtype, on: device)
        var blocks: [VDiTBlock] = []
        for index in 0..<c.depth {
            blocks.append(try VDiTBlock(width: c.width, heads: c.heads, seed: ParameterSeed.derive(seed, path: "blocks.\(index)"),
                                        dtype: dtype, on: device))
        }
        self.blocks = blocks
        finalLayer = try VDiTFinalLayer(width: c.width, patchSize: c.patchSize, seed: ParameterSeed.derive(seed, path: "final"),
                                        dtype: dtype, on: device)
    }

    /// Visits every parameter under its vdit.md key, in vdit.md's order.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try patchEmbedding.visitParameters(under: "patch_embed", visit)
        try visit("pos_embed", &positionEmbedding)
        try timeEmbedding.visitParameters(under: "t_embed", visit)
        for index in blocks.indices { try blocks[index].visitParameters(under: "blocks.\(index)", visit) }
        try finalLayer.visitParameters(under: "final", visit)
    }

    /// The device the parameters live on.
    public var device: any Device { positionEmbedding.device }

    /// The dtype the model computes in: its parameters'.
    public var dtype: DType { positionEmbedding.dtype }

    /// The predicted velocity `[B, N, P]` for patches `[B, N, P]` of noisy clips at times `f32[B]`.
    /// - Throws: ``RuntimeError/inputMismatch(function:reason:)`` naming the expected shapes when the inputs do not fit.
    public func callAsFunction(_ patches: Tensor, time: Tensor) throws(RuntimeError) -> Tensor {
        let c = configuration
        let batch = patches.rank == 3 ? patches.shape[0] : 0
        guard patches.shape == [batch, c.tokens, c.patchSize], batch > 0, patches.dtype.isFloatingPoint else {
            throw .inputMismatch(function: "\(c.name) forward", reason: "patches must be [B, \(c.tokens), \(c.patchSize)] "
                + "(B clips of N=\(c.tokens) patches of P=\(c.patchSize) values), got \(patches.type)")
        }
        try checkTime(time, batch: batch)
        let conditioning = try timeEmbedding(time).silu()
        var x = try patchEmbedding(patches.asType(dtype)) + positionEmbedding
        for block in blocks { x = try block(x, conditioning: conditioning) }
        return try finalLayer(x, conditioning: conditioning)
    }

    /// The predicted velocity `dx/dt` of clips `x` (`[B, T, H, W, C]`) at times `f32[B]`, in clip layout:
    /// what a rectified-flow sampler integrates.
    /// - Throws: ``RuntimeError/inputMismatch(function:reason:)`` naming the expected shapes when the inputs do not fit.
    public func velocity(_ x: Tensor, time: Tensor) throws(RuntimeError) -> Tensor {
        try checkClip(x, name: "x")
        try checkTime(time, batch: x.shape[0])
        let patches = try x.patchified(patch: configuration.patch)
        return try self(patches, time: time).asType(x.dtype).unpatchified(clip: x.shape, patch: configuration.patch)
    }

    /// vdit.md's rectified-flow loss of one batch: `x_t = (1 - t) x0 + t eps`, target `eps - x0`, mean squared
    /// error over every element, as `f32[]`.
    /// - Throws: ``RuntimeError/inputMismatch(function:reason:)`` naming the expected shape of the first input that
    ///   does not fit (`x0` and `eps` are `f32[B, T, H, W, C]`, `t` is `f32[B]`).
    public func loss(x0: Tensor, noise: Tensor, time: Tensor) throws(RuntimeError) -> Tensor {
        try checkClip(x0, name: "x0")
        try checkClip(noise, name: "eps")
        let batch = x0.shape[0]
        guard noise.shape[0] == batch else {
            throw .inputMismatch(function: "\(configuration.name) loss", reason: "batch 'eps' must be \(TensorType(.f32, x0.shape)) "
                + "like 'x0', got \(noise.type)")
        }
        try checkTime(time, batch: batch)
        let perSample = try time.reshaped([batch, 1, 1, 1, 1]).broadcast(to: x0.shape)
        let noisy = try (1 - perSample) * x0 + perSample * noise
        let output = try self(noisy.patchified(patch: configuration.patch), time: time)
        let target = try (noise - x0).patchified(patch: configuration.patch)
        return try Tensor.mseLoss(output.asType(.f32), target)
    }

    /// The loss of a batch given as `[x0, eps, t]`, the order of vdit.md's batch files.
    /// - Throws: ``RuntimeError/inputMismatch(function:reason:)`` for a batch of another size or shape.
    public func loss(_ batch: [Tensor]) throws(RuntimeError) -> Tensor {
        guard batch.count == 3 else {
            throw .inputMismatch(function: "\(configuration.name) loss", reason: "a batch is [x0, eps, t], got \(batch.count) tensors")
        }
        return try loss(x0: batch[0], noise: batch[1], time: batch[2])
    }

    /// The clip shape with any batch size: `[B, T, H, W, C]`, spelled for messages.
    var clipShapeDescription: String {
        let c = configuration
        return "f32[B, \(c.frames), \(c.resolution), \(c.resolution), \(c.channels)]"
    }

    private func checkClip(_ x: Tensor, name: String) throws(RuntimeError) {
        let c = configuration
        let expected = [c.frames, c.resolution, c.resolution, c.channels]
        guard x.rank == 5, x.shape[0] > 0, Array(x.shape.dimensions.dropFirst()) == expected, x.dtype == .f32 else {
            throw .inputMismatch(function: "\(c.name) loss", reason: "batch '\(name)' must be \(clipShapeDescription) (B clips of "
                + "T=\(c.frames) frames of \(c.resolution)x\(c.resolution) with C=\(c.channels) channels), got \(x.type)")
        }
    }

    private func checkTime(_ time: Tensor, batch: Int) throws(RuntimeError) {
        guard time.type == TensorType(.f32, [batch]) else {
            throw .inputMismatch(function: "\(configuration.name) loss", reason: "batch 't' must be f32[\(batch)] (one time in [0, 1] "
                + "per clip), got \(time.type)")
        }
    }
}
