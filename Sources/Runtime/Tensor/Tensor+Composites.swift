import Backends
import KernelIR

/// The kernel library (`Kernels/*.kir`, as ``KernelIR/GraphBuilder``'s composite methods) on tensors.
///
/// Each method records exactly the instructions of its builder method, so a model written with tensors
/// computes the same numbers as one built with the builder. Normalisations and losses of `f16`/`bf16`
/// inputs run in `f32` and round back, as mixed-precision training needs.
extension Tensor {
    /// `x * sigmoid(x)` (`Kernels/silu.kir`).
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` for a non-floating tensor.
    public func silu() throws(RuntimeError) -> Tensor { try Tensor.composite("silu", [self]) { b, v throws(KIRError) in try b.silu(v[0]) } }

    /// The tanh approximation of GELU, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (`Kernels/gelu_tanh.kir`).
    /// - Throws: as ``silu()`` does.
    public func geluTanh() throws(RuntimeError) -> Tensor {
        try Tensor.composite("geluTanh", [self]) { b, v throws(KIRError) in try b.geluTanh(v[0]) }
    }

    /// Softmax along `axis` (the last by default), shifted by the maximum so it never overflows (`Kernels/softmax.kir`).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for an axis out of range, or as ``silu()`` does.
    public func softmax(axis: Int = -1) throws(RuntimeError) -> Tensor {
        let resolved = try self.axis(axis, in: "softmax")
        if resolved != rank - 1 {
            return try swappedAxes(resolved, -1).softmax().swappedAxes(resolved, -1)
        }
        return try inFullPrecision { x throws(RuntimeError) in
            try Tensor.composite("softmax", [x]) { b, v throws(KIRError) in try b.softmax(v[0]) }
        }
    }

    /// Layer normalisation over the last axis: no affine, biased variance, `epsilon` added to the variance
    /// (`Kernels/layernorm.kir`).
    /// - Throws: as ``silu()`` does.
    public func layerNorm(epsilon: Double = 1e-6) throws(RuntimeError) -> Tensor {
        try inFullPrecision { x throws(RuntimeError) in
            try Tensor.composite("layerNorm", [x]) { b, v throws(KIRError) in try b.layerNorm(v[0], epsilon: epsilon) }
        }
    }

    /// adaLN's `self * (1 + scale) + shift` for `self` of `[batch, tokens, width]` and `[batch, width]` shift
    /// and scale broadcast over the tokens (`Kernels/adaln_modulate.kir`).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for shapes other than those.
    public func modulated(shift: Tensor, scale: Tensor) throws(RuntimeError) -> Tensor {
        let expected = rank == 3 ? Shape([shape[0], shape[2]]) : nil
        guard let expected, shift.shape == expected, scale.shape == expected else {
            throw .invalidArgument(operation: "modulated(shift:scale:)", reason: "needs a [batch, tokens, width] tensor with "
                + "[batch, width] shift and scale, got \(type), shift \(shift.type) and scale \(scale.type)")
        }
        return try Tensor.composite("modulated", [self, shift, scale]) { b, v throws(KIRError) in
            try b.modulate(v[0], shift: v[1], scale: v[2])
        }
    }

    /// Multi-head scaled-dot-product attention of `[batch, tokens, width]` queries, keys and values; head `j`
    /// is columns `j * width / heads ..< (j + 1) * width / heads` (`Kernels/attention.kir`). For `f16`/`bf16`
    /// inputs the products stay in that dtype and the softmax runs in `f32`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the shapes do not fit or `heads`
    ///   does not divide the width.
    public static func attention(query: Tensor, key: Tensor, value: Tensor, heads: Int) throws(RuntimeError) -> Tensor {
        guard query.rank == 3, key.rank == 3, key.shape == value.shape, query.shape[0] == key.shape[0],
              query.shape[2] == key.shape[2], heads > 0, query.shape[2] % heads == 0 else {
            throw .invalidArgument(operation: "attention(heads: \(heads))", reason: "needs [batch, tokens, width] queries and "
                + "equal-shaped keys and values of the same batch and width, with heads dividing the width; got query \(query.type), "
                + "key \(key.type), value \(value.type)")
        }
        if query.dtype == .f32 {
            return try composite("attention", [query, key, value]) { b, v throws(KIRError) in
                try b.attention(query: v[0], key: v[1], value: v[2], heads: heads)
            }
        }
        // The same steps as GraphBuilder.attention, with the softmax in f32.
        let (batch, tokens, width) = (query.shape[0], query.shape[1], query.shape[2])
        let keyTokens = key.shape[1], headWidth = width / heads
        let queries = try query.reshaped([batch, tokens, heads, headWidth]).transposed([0, 2, 1, 3])
        let keysTransposed = try key.reshaped([batch, keyTokens, heads, headWidth]).transposed([0, 2, 3, 1])
        let values = try value.reshaped([batch, keyTokens, heads, headWidth]).transposed([0, 2, 1, 3])
        let logits = try queries.matmul(keysTransposed) * (1 / Double(headWidth).squareRoot())
        let mixed = try logits.softmax().matmul(values)
        return try mixed.transposed([0, 2, 1, 3]).reshaped([batch, tokens, width])
    }

    /// `[B, T, H, W, C]` clips as `[B, N, P]` spatiotemporal patches, vdit.md's exact layout (`Kernels/patchify.kir`).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the clip is not rank 5 or the patch
    ///   does not divide it.
    public func patchified(patch: (time: Int, height: Int, width: Int)) throws(RuntimeError) -> Tensor {
        guard rank == 5, patch.time > 0, patch.height > 0, patch.width > 0, shape[1] % patch.time == 0,
              shape[2] % patch.height == 0, shape[3] % patch.width == 0 else {
            throw .invalidArgument(operation: "patchified", reason: "needs a [B, T, H, W, C] clip whose T, H and W the patch "
                + "(\(patch.time), \(patch.height), \(patch.width)) divides, got \(type)")
        }
        return try Tensor.composite("patchified", [self]) { b, v throws(KIRError) in try b.patchify(v[0], patch: patch) }
    }

    /// The exact inverse of ``patchified(patch:)``: `[B, N, P]` patches back to clips of `clip` = `[B, T, H, W, C]`
    /// (`Kernels/unpatchify.kir`).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the patches do not tile `clip`.
    public func unpatchified(clip: Shape, patch: (time: Int, height: Int, width: Int)) throws(RuntimeError) -> Tensor {
        guard rank == 3, clip.rank == 5, patch.time > 0, patch.height > 0, patch.width > 0, clip.elementCount == elementCount,
              clip[1] % patch.time == 0, clip[2] % patch.height == 0, clip[3] % patch.width == 0 else {
            throw .invalidArgument(operation: "unpatchified", reason: "\(type) patches do not tile a \(clip) clip with patch "
                + "(\(patch.time), \(patch.height), \(patch.width))")
        }
        return try Tensor.composite("unpatchified", [self]) { b, v throws(KIRError) in
            try b.unpatchify(v[0], clip: clip, patch: patch)
        }
    }

    /// vdit.md's sinusoidal embedding of `[B]` times: `concat(cos a, sin a)` with `a = (t * 1000) * f`,
    /// `f_i = exp(-ln(10000) i / (width / 2))` (`Kernels/timestep_embedding.kir`).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for a time tensor that is not `f32[B]`
    ///   or an odd width.
    public func timestepEmbedding(width: Int = 64) throws(RuntimeError) -> Tensor {
        guard rank == 1, dtype == .f32, width > 0, width % 2 == 0 else {
            throw .invalidArgument(operation: "timestepEmbedding(width: \(width))", reason: "needs f32[B] times and an even width, got \(type)")
        }
        return try Tensor.composite("timestepEmbedding", [self]) { b, v throws(KIRError) in try b.timestepEmbedding(v[0], width: width) }
    }

    /// `self @ weight + bias` with `weight` stored `[in, out]` and `bias` `[out]` (`Kernels/linear.kir`).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the widths disagree.
    public func linear(weight: Tensor, bias: Tensor?) throws(RuntimeError) -> Tensor {
        guard weight.rank == 2, rank >= 1, shape[rank - 1] == weight.shape[0], bias.map({ $0.shape == [weight.shape[1]] }) ?? true else {
            throw .invalidArgument(operation: "linear", reason: "needs x [..., in], weight [in, out] and bias [out]; got x \(type), "
                + "weight \(weight.type)" + (bias.map { ", bias \($0.type)" } ?? ""))
        }
        guard let bias else { return try matmul(weight) }
        return try Tensor.composite("linear", [self, weight, bias]) { b, v throws(KIRError) in
            try b.linear(v[0], weight: v[1], bias: v[2])
        }
    }

    /// `silu(convolution(self, filter) + bias)`, channels-last: a video-VAE style block (`Kernels/conv3d_block.kir`).
    /// - Throws: as ``convolution(_:_:)`` does.
    public func convolutionBlock(filter: Tensor, bias: Tensor, _ attributes: Convolution) throws(RuntimeError) -> Tensor {
        try Tensor.composite("convolutionBlock", [self, filter, bias]) { b, v throws(KIRError) in
            try b.convolutionBlock(v[0], filter: v[1], bias: v[2], attributes)
        }
    }

    /// The mean of `(output - target)^2` over every element, as an `f32` scalar (`Kernels/mse_loss.kir`).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the types differ.
    public static func mseLoss(_ output: Tensor, _ target: Tensor) throws(RuntimeError) -> Tensor {
        guard output.type == target.type else {
            throw .invalidArgument(operation: "mseLoss", reason: "output \(output.type) and target \(target.type) must have one type")
        }
        return try composite("mseLoss", [output.asType(.f32), target.asType(.f32)]) { b, v throws(KIRError) in
            try b.mseLoss(v[0], v[1])
        }
    }

    // MARK: - Machinery

    /// The result of a builder composite applied to `inputs`: the composite is built once at the inputs' types
    /// and its instructions are recorded on the inputs' nodes.
    static func composite(_ name: String, _ inputs: [Tensor],
                          _ build: (GraphBuilder, [Value]) throws(KIRError) -> Value) throws(RuntimeError) -> Tensor {
        try compositeResults(name, inputs) { (builder: GraphBuilder, values: [Value]) throws(KIRError) -> [Value] in
            [try build(builder, values)]
        }[0]
    }

    /// The results of a builder composite with several results (an optimizer's parameter and moments).
    static func compositeResults(_ name: String, _ inputs: [Tensor],
                                 _ build: (GraphBuilder, [Value]) throws(KIRError) -> [Value]) throws(RuntimeError) -> [Tensor] {
        guard let device = inputs.first?.device else { preconditionFailure("Tensor.composite: composites take operands") }
        if let other = inputs.first(where: { $0.device.id != device.id }) {
            throw .deviceMismatch(operation: name, devices: [device.id, other.device.id])
        }
        let builder = GraphBuilder(name: name)
        let parameters = inputs.map { builder.parameter($0.type) }
        let graph: Graph
        do throws(KIRError) { graph = builder.build(returning: try build(builder, parameters)) } catch {
            throw .invalidOperation(name, operands: inputs.map(\.type), error)
        }
        return GraphCapture.inline(graph, arguments: inputs.map(\.node), on: device).map { Tensor(node: $0) }
    }

    /// `body` applied to `self` in `f32` when `self` is `f16` or `bf16`, rounded back to `self`'s dtype.
    func inFullPrecision(_ body: (Tensor) throws(RuntimeError) -> Tensor) throws(RuntimeError) -> Tensor {
        guard dtype == .f16 || dtype == .bf16 else { return try body(self) }
        return try body(asType(.f32)).asType(dtype)
    }
}

extension Tensor {
    /// The results of `function` (any IR function, such as one parsed from `Kernels/*.kir`) applied to
    /// `arguments`, recorded inline into the lazy graph like every other operation.
    /// - Throws: ``RuntimeError/program(_:)`` for a malformed function, ``RuntimeError/inputMismatch(function:reason:)``
    ///   for arguments of other types or count, ``RuntimeError/deviceMismatch(operation:devices:)`` for arguments on two devices.
    public static func call(_ function: Graph, _ arguments: [Tensor]) throws(RuntimeError) -> [Tensor] {
        do throws(KIRError) { try Verifier.verify(function) } catch { throw .program(error) }
        guard let device = arguments.first?.device else {
            throw .inputMismatch(function: function.name, reason: "a call needs at least one argument to say which device it runs on")
        }
        guard arguments.map(\.type) == function.parameters.map(\.type) else {
            throw .inputMismatch(function: function.name, reason: "takes (\(function.parameters.map(\.type.description).joined(separator: ", "))), "
                + "got (\(arguments.map(\.type.description).joined(separator: ", ")))")
        }
        if let other = arguments.first(where: { $0.device.id != device.id }) {
            throw .deviceMismatch(operation: "@\(function.name)", devices: [device.id, other.device.id])
        }
        return GraphCapture.inline(function, arguments: arguments.map(\.node), on: device).map { Tensor(node: $0) }
    }
}
