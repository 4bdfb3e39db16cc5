import KernelIR

/// The whole state of a training step as named tensors, for checkpoints: one safetensors file holds it, and
/// its parameter entries alone are the model's weights under their plain paths (so PyTorch can read them).
///
/// Keys: every parameter path as is; `optimizer.<state>.<path>` for each optimizer state tensor (AdamW's
/// `optimizer.m.blocks.0.qkv.weight`); `optimizer.step`; `loss_scale`, `loss_scale.finite_steps` and
/// `skipped_steps`, all `f32`.
extension TrainingStep {
    /// The key of the step count.
    public static var stepKey: String { "optimizer.step" }

    /// Every tensor of the step's state by key (device tensors: nothing is copied until they are read).
    public var stateTensors: [String: Tensor] {
        var tensors = model.parameters
        let paths = model.namedParameters.map(\.path)
        for (path, slots) in zip(paths, optimizerState.slots) {
            for (name, slot) in zip(optimizer.stateNames, slots) { tensors["optimizer.\(name).\(path)"] = slot }
        }
        tensors[Self.stepKey] = optimizerState.step
        tensors["loss_scale"] = lossScale
        tensors["loss_scale.finite_steps"] = stepsSinceScaleChange
        tensors["skipped_steps"] = skippedSteps
        return tensors
    }

    /// Replaces the whole state with `tensors`, keyed as ``stateTensors`` keys them, each of the current type.
    /// - Throws: ``RuntimeError/parameterMismatch(key:reason:)`` naming the first missing, extra or mistyped key.
    public func restore(stateTensors tensors: [String: Tensor]) throws(RuntimeError) {
        var remaining = tensors
        func take(_ key: String, like current: Tensor) throws(RuntimeError) -> Tensor {
            guard let tensor = remaining.removeValue(forKey: key) else {
                throw .parameterMismatch(key: key, reason: "missing from the training state; it should be \(current.type)")
            }
            guard tensor.type == current.type else {
                throw .parameterMismatch(key: key, reason: "expected \(current.type), got \(tensor.type)")
            }
            return tensor
        }
        let restoredModel = try model.mapParameters { (path: String, parameter: Tensor) throws(RuntimeError) -> Tensor in
            try take(path, like: parameter).to(parameter.device)
        }
        let paths = model.namedParameters.map(\.path)
        var slots: [[Tensor]] = []
        for (path, current) in zip(paths, optimizerState.slots) {
            var restored: [Tensor] = []
            for (name, slot) in zip(optimizer.stateNames, current) {
                restored.append(try take("optimizer.\(name).\(path)", like: slot).to(slot.device))
            }
            slots.append(restored)
        }
        let step = try take(Self.stepKey, like: optimizerState.step).to(optimizerState.step.device)
        let scale = try take("loss_scale", like: lossScale).to(lossScale.device)
        let finiteSteps = try take("loss_scale.finite_steps", like: stepsSinceScaleChange).to(lossScale.device)
        let skipped = try take("skipped_steps", like: skippedSteps).to(lossScale.device)
        if let extra = remaining.keys.sorted().first {
            throw .parameterMismatch(key: extra, reason: "unexpected in the training state: neither a parameter nor optimizer state")
        }
        try restore(model: restoredModel, optimizerState: OptimizerState(step: step, slots: slots), lossScale: scale,
                    stepsSinceScaleChange: finiteSteps, skippedSteps: skipped)
    }
}
