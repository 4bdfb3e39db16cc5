import Foundation

/// The kernel library (`Kernels/*.kir`) as builder methods that work at any shape.
///
/// Each method emits, op for op, the instructions of its `.kir` function; the kernel-library
/// tests prove the two are the same program at the file's shapes. Models are built from these.
extension GraphBuilder {
    /// A splat constant shaped like `x`.
    public func constant(_ value: Double, like x: Value) throws(KIRError) -> Value { try constant(value, type(of: x)) }

    /// `x @ weight + bias`, weights stored `[in, out]` (`Kernels/linear.kir`).
    public func linear(_ x: Value, weight: Value, bias: Value) throws(KIRError) -> Value {
        let product = try matmul(x, weight)
        return try add(product, broadcast(bias, to: type(of: product).shape))
    }

    /// `x * sigmoid(x)` (`Kernels/silu.kir`).
    public func silu(_ x: Value) throws(KIRError) -> Value { try mul(x, sigmoid(x)) }

    /// The tanh approximation of GELU (`Kernels/gelu_tanh.kir`).
    public func geluTanh(_ x: Value) throws(KIRError) -> Value {
        let cube = try mul(mul(x, x), x)
        let inner = try add(x, mul(constant(0.044715, like: x), cube))
        let gate = try add(constant(1, like: x), tanh(mul(constant((2 / Double.pi).squareRoot(), like: x), inner)))
        return try mul(mul(constant(0.5, like: x), x), gate)
    }

    /// Softmax over the last axis, shifted by the row maximum so it never overflows (`Kernels/softmax.kir`).
    public func softmax(_ x: Value) throws(KIRError) -> Value {
        let shape = type(of: x).shape
        let axis = shape.rank - 1
        // The shift by the row maximum only keeps exp from overflowing: the result does not depend
        // on it, so no gradient flows through it.
        let maximum = try stopGradient(reduce(.max, x, over: [axis], keepingDimensions: true))
        let shifted = try sub(x, broadcast(maximum, to: shape))
        let exponentials = try exp(shifted)
        return try div(exponentials, broadcast(reduce(.sum, exponentials, over: [axis], keepingDimensions: true), to: shape))
    }

    /// Layer normalisation over the last axis with no affine, biased variance and `epsilon` (`Kernels/layernorm.kir`).
    public func layerNorm(_ x: Value, epsilon: Double = 1e-6) throws(KIRError) -> Value {
        let shape = type(of: x).shape
        let axis = shape.rank - 1
        let sum = try reduce(.sum, x, over: [axis], keepingDimensions: true)
        let inverseWidth = try constant(1 / Double(shape[axis]), like: sum)
        let mean = try mul(sum, inverseWidth)
        let centered = try sub(x, broadcast(mean, to: shape))
        let variance = try mul(reduce(.sum, mul(centered, centered), over: [axis], keepingDimensions: true), inverseWidth)
        let inverseDeviation = try rsqrt(add(variance, constant(epsilon, like: variance)))
        return try mul(centered, broadcast(inverseDeviation, to: shape))
    }

    /// `normalized * (1 + scale) + shift` with `[batch, width]` shift and scale broadcast over the
    /// tokens of a `[batch, tokens, width]` input: adaLN's modulation (`Kernels/adaln_modulate.kir`).
    public func modulate(_ normalized: Value, shift: Value, scale: Value) throws(KIRError) -> Value {
        let scaled = try mul(normalized, add(constant(1, like: normalized), broadcastOverTokens(scale, like: normalized)))
        return try add(scaled, broadcastOverTokens(shift, like: normalized))
    }

    /// A `[batch, width]` value reshaped to `[batch, 1, width]` and broadcast to `like`'s `[batch, tokens, width]`.
    public func broadcastOverTokens(_ x: Value, like target: Value) throws(KIRError) -> Value {
        let shape = type(of: x).shape
        return try broadcast(reshape(x, to: [shape[0], 1, shape[1]]), to: type(of: target).shape)
    }

    /// Multi-head scaled-dot-product attention of `[batch, tokens, width]` queries, keys and values;
    /// head `j` is columns `j * width / heads ..< (j + 1) * width / heads` (`Kernels/attention.kir`).
    public func attention(query: Value, key: Value, value: Value, heads: Int) throws(KIRError) -> Value {
        let queryShape = type(of: query).shape, keyShape = type(of: key).shape
        let (batch, tokens, width) = (queryShape[0], queryShape[1], queryShape[2])
        let headWidth = width / heads
        func split(_ x: Value, tokens: Int) throws(KIRError) -> Value { try reshape(x, to: [batch, tokens, heads, headWidth]) }
        let queryHeads = try permute(split(query, tokens: tokens), [0, 2, 1, 3])
        let keyHeadsTransposed = try permute(split(key, tokens: keyShape[1]), [0, 2, 3, 1])
        let valueHeads = try permute(split(value, tokens: keyShape[1]), [0, 2, 1, 3])
        let scores = try matmul(queryHeads, keyHeadsTransposed)
        let logits = try mul(scores, constant(1 / Double(headWidth).squareRoot(), like: scores))
        let mixed = try matmul(softmax(logits), valueHeads)
        return try reshape(permute(mixed, [0, 2, 1, 3]), to: [batch, tokens, width])
    }

    /// `[B, T, H, W, C]` clips to `[B, N, P]` spatiotemporal patches, vdit.md's exact layout (`Kernels/patchify.kir`).
    public func patchify(_ x: Value, patch: (time: Int, height: Int, width: Int)) throws(KIRError) -> Value {
        let s = type(of: x).shape
        let (batch, frames, height, width, channels) = (s[0], s[1], s[2], s[3], s[4])
        let split = try reshape(x, to: Shape([batch, frames / patch.time, patch.time, height / patch.height, patch.height,
                                              width / patch.width, patch.width, channels]))
        let grouped = try permute(split, [0, 1, 3, 5, 2, 4, 6, 7])
        let tokens = frames / patch.time * (height / patch.height) * (width / patch.width)
        return try reshape(grouped, to: [batch, tokens, patch.time * patch.height * patch.width * channels])
    }

    /// The exact inverse of ``patchify(_:patch:)``, back to `clip` = `[B, T, H, W, C]` (`Kernels/unpatchify.kir`).
    public func unpatchify(_ y: Value, clip: Shape, patch: (time: Int, height: Int, width: Int)) throws(KIRError) -> Value {
        let (batch, frames, height, width, channels) = (clip[0], clip[1], clip[2], clip[3], clip[4])
        let split = try reshape(y, to: Shape([batch, frames / patch.time, height / patch.height, width / patch.width,
                                              patch.time, patch.height, patch.width, channels]))
        return try reshape(permute(split, [0, 1, 4, 2, 5, 3, 6, 7]), to: clip)
    }

    /// vdit.md's sinusoidal embedding of `[B]` times: `concat(cos a, sin a)` with `a = (t * 1000) * f`,
    /// `f_i = exp(-ln(10000) i / (width / 2))` (`Kernels/timestep_embedding.kir`).
    public func timestepEmbedding(_ t: Value, width: Int = 64) throws(KIRError) -> Value {
        let half = width / 2
        let batch = type(of: t).shape[0]
        let index = try cast(iota(TensorType(.i32, [half]), axis: 0), to: .f32)
        let frequencies = try exp(mul(index, constant(-Foundation.log(10000.0) / Double(half), like: index)))
        let scaled = try mul(t, constant(1000, like: t))
        let angles = try mul(broadcast(reshape(scaled, to: [batch, 1]), to: [batch, half]), broadcast(frequencies, to: [batch, half]))
        return try concat([unary(.cos, angles), unary(.sin, angles)], axis: 1)
    }

    /// The mean of `(output - target)^2` over every element, as a scalar (`Kernels/mse_loss.kir`).
    public func mseLoss(_ output: Value, _ target: Value) throws(KIRError) -> Value {
        let difference = try sub(output, target)
        let type = type(of: output)
        let total = try reduce(.sum, mul(difference, difference), over: Array(0..<type.rank))
        return try div(total, constant(Double(type.elementCount), like: total))
    }

    /// One AdamW step with decoupled weight decay and bias correction (`Kernels/adamw.kir`).
    ///
    /// `learningRate`, `weightDecay` and the corrections `1 - beta1^step`, `1 - beta2^step` are `f32[]`
    /// values, so one compiled step serves every iteration. Returns the new parameter and moments.
    public func adamW(parameter: Value, gradient: Value, firstMoment: Value, secondMoment: Value,
                      learningRate: Value, weightDecay: Value, biasCorrection1: Value, biasCorrection2: Value,
                      beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) throws(KIRError) -> (parameter: Value, firstMoment: Value, secondMoment: Value) {
        let shape = type(of: parameter).shape
        let first = try add(mul(constant(beta1, like: parameter), firstMoment), mul(constant(1 - beta1, like: parameter), gradient))
        let squared = try mul(gradient, gradient)
        let second = try add(mul(constant(beta2, like: parameter), secondMoment), mul(constant(1 - beta2, like: parameter), squared))
        let firstCorrected = try div(first, broadcast(biasCorrection1, to: shape))
        let secondCorrected = try div(second, broadcast(biasCorrection2, to: shape))
        let direction = try div(firstCorrected, add(sqrt(secondCorrected), constant(epsilon, like: parameter)))
        let rate = try broadcast(learningRate, to: shape)
        let decayed = try sub(parameter, mul(mul(rate, broadcast(weightDecay, to: shape)), parameter))
        return (try sub(decayed, mul(rate, direction)), first, second)
    }

    /// A video-VAE style block: `silu(conv(x, filter) + bias)`, channels-last (`Kernels/conv3d_block.kir`).
    public func convolutionBlock(_ x: Value, filter: Value, bias: Value, _ attributes: Convolution) throws(KIRError) -> Value {
        let convolved = try convolution(x, filter, attributes)
        return try silu(add(convolved, broadcast(bias, to: type(of: convolved).shape)))
    }

    /// Emits `graph`'s instructions on `arguments` (one per parameter) and returns its results: a call, inlined.
    public func inline(_ graph: Graph, arguments: [Value]) throws(KIRError) -> [Value] {
        guard arguments.count == graph.parameters.count else {
            throw .inputMismatch(function: graph.name, reason: "takes \(graph.parameters.count) arguments, got \(arguments.count)")
        }
        var values = arguments
        for (parameter, argument) in zip(graph.parameters, arguments) where type(of: argument) != parameter.type {
            throw .inputMismatch(function: graph.name, reason: "parameter %\(parameter.name) is \(parameter.type), got \(type(of: argument))")
        }
        for instruction in graph.instructions {
            values.append(try emit(instruction.op, instruction.operands.map { values[$0.index] }, name: instruction.name))
        }
        return graph.results.map { values[$0.index] }
    }
}
