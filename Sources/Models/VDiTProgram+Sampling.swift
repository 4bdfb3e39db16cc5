import KernelIR

extension VDiTProgram {
    /// One Euler step of the rectified-flow sampler (vdit.md "Sampling") as one function:
    /// `(parameters..., x, t, dt) -> x - dt * v(x, t)`, where `x` is `[B, T, H, W, C]`, `t` is `[B]`,
    /// `dt` a scalar and `v` the model's velocity, unpatchified. Stepping from t = 1 (noise) down to
    /// t = 0 with `dt = 1 / S` integrates dx/dt = v backwards in time, from noise to clips.
    public func eulerStepGraph() throws(KIRError) -> Graph {
        let c = configuration
        let builder = GraphBuilder(name: "vdit_euler_step")
        let weights = parameters.map { builder.parameter($0.type, name: $0.name) }
        let clipType = batchParameters[0].type
        let x = builder.parameter(clipType, name: "x")
        let time = builder.parameter(TensorType(.f32, [c.batchSize]), name: "t")
        let stepSize = builder.parameter(TensorType(.f32, []), name: "dt")
        let velocity = try emitVelocity(builder, weights: Dictionary(uniqueKeysWithValues: zip(parameters.map(\.name), weights)),
                                        clips: x, time: time)
        let clipVelocity = try builder.unpatchify(velocity, clip: clipType.shape, patch: c.patch)
        let next = try builder.sub(x, builder.mul(builder.broadcast(stepSize, to: clipType.shape), clipVelocity))
        return builder.build(returning: [next])
    }
}
