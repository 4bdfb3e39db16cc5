import KernelIR

/// The VDiT model of vdit.md as KernelIR programs: its forward loss, and one whole training step
/// (loss, gradients and the AdamW update) as a single function, the form every backend runs.
public struct VDiTProgram: Sendable {
    /// The model's sizes.
    public let configuration: VDiTConfiguration

    /// The program for `configuration`.
    public init(configuration: VDiTConfiguration) { self.configuration = configuration }

    /// Every parameter with its safetensors key and type, in vdit.md's order.
    public var parameters: [Parameter] {
        let c = configuration
        let d = c.width, p = c.patchSize
        func linear(_ name: String, _ input: Int, _ output: Int) -> [Parameter] {
            [Parameter(name: name + ".weight", type: TensorType(.f32, [input, output])),
             Parameter(name: name + ".bias", type: TensorType(.f32, [output]))]
        }
        var result = linear("patch_embed", p, d) + [Parameter(name: "pos_embed", type: TensorType(.f32, [c.tokens, d]))]
        result += linear("t_embed.fc1", 64, d) + linear("t_embed.fc2", d, d)
        for block in 0..<c.depth {
            let prefix = "blocks.\(block)."
            result += linear(prefix + "ada", d, 6 * d) + linear(prefix + "qkv", d, 3 * d) + linear(prefix + "proj", d, d)
            result += linear(prefix + "fc1", d, 4 * d) + linear(prefix + "fc2", 4 * d, d)
        }
        return result + linear("final.ada", d, 2 * d) + linear("final.out", d, p)
    }

    /// The batch inputs: clean clips `x0`, noise `eps` (both `[B, T, H, W, C]`) and times `t` (`[B]`).
    public var batchParameters: [Parameter] {
        let c = configuration
        let clip = TensorType(.f32, [c.batchSize, c.frames, c.resolution, c.resolution, c.channels])
        return [Parameter(name: "x0", type: clip), Parameter(name: "eps", type: clip),
                Parameter(name: "t", type: TensorType(.f32, [c.batchSize]))]
    }

    /// `loss(parameters..., x0, eps, t)`: the rectified-flow loss of one batch.
    public func lossGraph() throws(KIRError) -> Graph {
        let builder = GraphBuilder(name: "vdit_loss")
        let weights = parameters.map { builder.parameter($0.type, name: $0.name) }
        let batch = batchParameters.map { builder.parameter($0.type, name: $0.name) }
        let loss = try emitLoss(builder, weights: Dictionary(uniqueKeysWithValues: zip(parameters.map(\.name), weights)),
                                x0: batch[0], noise: batch[1], time: batch[2])
        return builder.build(returning: [loss])
    }

    /// One AdamW training step as one function:
    /// `(parameters..., m..., v..., x0, eps, t, lr, weight_decay, bias_correction1, bias_correction2)
    ///  -> (loss, parameters'..., m'..., v'...)`, where the corrections are `1 - beta^step` for the
    /// step being taken (counted from 1) and `loss` is the loss before the update.
    public func trainingStepGraph() throws(KIRError) -> Graph {
        let lossAndGradients = try Gradient.valueAndGrad(of: lossGraph(), wrt: parameters.map(\.name))
        let builder = GraphBuilder(name: "vdit_training_step")
        let weights = parameters.map { builder.parameter($0.type, name: $0.name) }
        let firstMoments = parameters.map { builder.parameter($0.type, name: "m." + $0.name) }
        let secondMoments = parameters.map { builder.parameter($0.type, name: "v." + $0.name) }
        let batch = batchParameters.map { builder.parameter($0.type, name: $0.name) }
        let scalar = TensorType(.f32, [])
        let learningRate = builder.parameter(scalar, name: "lr")
        let weightDecay = builder.parameter(scalar, name: "weight_decay")
        let correction1 = builder.parameter(scalar, name: "bias_correction1")
        let correction2 = builder.parameter(scalar, name: "bias_correction2")
        let outputs = try builder.inline(lossAndGradients, arguments: weights + batch)
        var updated: [Value] = [], first: [Value] = [], second: [Value] = []
        for index in weights.indices {
            let step = try builder.adamW(parameter: weights[index], gradient: outputs[1 + index],
                                         firstMoment: firstMoments[index], secondMoment: secondMoments[index],
                                         learningRate: learningRate, weightDecay: weightDecay,
                                         biasCorrection1: correction1, biasCorrection2: correction2)
            updated.append(step.parameter)
            first.append(step.firstMoment)
            second.append(step.secondMoment)
        }
        return builder.build(returning: [outputs[0]] + updated + first + second)
    }

    /// Emits vdit.md's rectified-flow loss: the model's velocity at `x_t = (1 - t) x0 + t eps` against `eps - x0`.
    func emitLoss(_ b: GraphBuilder, weights: [String: Value], x0: Value, noise: Value, time: Value) throws(KIRError) -> Value {
        let c = configuration
        let clipShape = b.type(of: x0).shape
        let perSample = try b.broadcast(b.reshape(time, to: [c.batchSize, 1, 1, 1, 1]), to: clipShape)
        let noisy = try b.add(b.mul(b.sub(b.constant(1, like: perSample), perSample), x0), b.mul(perSample, noise))
        let output = try emitVelocity(b, weights: weights, clips: noisy, time: time)
        let target = try b.patchify(b.sub(noise, x0), patch: c.patch)
        return try b.mseLoss(output, target)
    }

    /// Emits vdit.md's forward pass: the predicted velocity `[B, N, P]` (patchified) for noisy clips
    /// `[B, T, H, W, C]` at times `[B]`.
    func emitVelocity(_ b: GraphBuilder, weights: [String: Value], clips: Value, time: Value) throws(KIRError) -> Value {
        let c = configuration
        let d = c.width
        func weight(_ name: String) -> Value {
            guard let value = weights[name] else { preconditionFailure("VDiTProgram: parameter \(name) is always declared") }
            return value
        }
        func linear(_ x: Value, _ name: String) throws(KIRError) -> Value {
            try b.linear(x, weight: weight(name + ".weight"), bias: weight(name + ".bias"))
        }
        /// Column block `index` of width `d` of a `[B, k*d]` modulation.
        func chunk(_ x: Value, _ index: Int) throws(KIRError) -> Value {
            try b.slice(x, start: [0, index * d], limit: [c.batchSize, (index + 1) * d])
        }

        let embedding = try b.timestepEmbedding(time)
        let conditioning = try linear(b.silu(linear(embedding, "t_embed.fc1")), "t_embed.fc2")
        let activatedConditioning = try b.silu(conditioning)

        var x = try linear(b.patchify(clips, patch: c.patch), "patch_embed")
        x = try b.add(x, b.broadcast(weight("pos_embed"), to: b.type(of: x).shape))

        for block in 0..<c.depth {
            let prefix = "blocks.\(block)."
            let modulation = try linear(activatedConditioning, prefix + "ada")
            let h = try b.modulate(b.layerNorm(x), shift: chunk(modulation, 0), scale: chunk(modulation, 1))
            let qkv = try linear(h, prefix + "qkv")
            func column(_ index: Int) throws(KIRError) -> Value {
                try b.slice(qkv, start: [0, 0, index * d], limit: [c.batchSize, c.tokens, (index + 1) * d])
            }
            let attended = try b.attention(query: column(0), key: column(1), value: column(2), heads: c.heads)
            x = try b.add(x, b.mul(b.broadcastOverTokens(chunk(modulation, 2), like: x), linear(attended, prefix + "proj")))
            let h2 = try b.modulate(b.layerNorm(x), shift: chunk(modulation, 3), scale: chunk(modulation, 4))
            let mlp = try linear(b.geluTanh(linear(h2, prefix + "fc1")), prefix + "fc2")
            x = try b.add(x, b.mul(b.broadcastOverTokens(chunk(modulation, 5), like: x), mlp))
        }
        let finalModulation = try linear(activatedConditioning, "final.ada")
        return try linear(b.modulate(b.layerNorm(x), shift: chunk(finalModulation, 0), scale: chunk(finalModulation, 1)), "final.out")
    }
}
