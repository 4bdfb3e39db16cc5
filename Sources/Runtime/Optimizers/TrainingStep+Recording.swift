import KernelIR

/// Where each value sits in the compiled step's flat inputs and outputs.
///
/// Inputs: parameters, optimizer slots (parameter by parameter), the counters (step, loss scale, finite steps
/// since the scale changed, skipped steps), then the batch. Outputs: loss, gradient norm, learning rate, then
/// parameters, slots and counters in the input order.
struct StepLayout: Sendable {
    let parameterCount: Int
    let slotCount: Int

    var inputParameters: Range<Int> { 0..<parameterCount }
    var inputSlots: Range<Int> { parameterCount..<(parameterCount * (1 + slotCount)) }
    var inputCounters: Range<Int> { inputSlots.upperBound..<(inputSlots.upperBound + 4) }
    var batchStart: Int { inputCounters.upperBound }
    var outputParameters: Range<Int> { 3..<(3 + parameterCount) }
    var outputSlots: Range<Int> { outputParameters.upperBound..<(outputParameters.upperBound + parameterCount * slotCount) }
    var outputCounters: Range<Int> { outputSlots.upperBound..<(outputSlots.upperBound + 4) }
}

extension TrainingStep {
    /// Records one training step on the placeholders `inputs` (laid out as ``StepLayout`` says).
    static func record(_ inputs: [Tensor], layout: StepLayout, template: Model, optimizer: any Optimizer, options: TrainingOptions,
                       loss lossFunction: (Model, [Tensor]) throws(RuntimeError) -> Tensor) throws(RuntimeError) -> [Tensor] {
        let parameters = Array(inputs[layout.inputParameters])
        let state = try OptimizerState(tensors: [inputs[layout.inputCounters.lowerBound]] + Array(inputs[layout.inputSlots]),
                                       parameterCount: layout.parameterCount, slotCount: layout.slotCount)
        let counters = Array(inputs[layout.inputCounters])
        let (scale, finiteRun, skipped) = (counters[1], counters[2], counters[3])
        let batch = Array(inputs[layout.batchStart...])

        var index = 0
        let master = try template.mapParameters { (_: String, _: Tensor) throws(RuntimeError) -> Tensor in
            defer { index += 1 }
            return parameters[index]
        }
        let compute = options.computeDType == .f32 ? master
            : try master.mapParameters { (_: String, parameter: Tensor) throws(RuntimeError) -> Tensor in try parameter.asType(options.computeDType) }
        let loss = try lossFunction(compute, batch)
        guard loss.rank == 0, loss.dtype.isFloatingPoint else {
            throw .invalidArgument(operation: "TrainingStep", reason: "the loss function must return a floating scalar, got \(loss.type)")
        }
        let fullLoss = try loss.asType(.f32)

        var gradients: [Tensor]
        if options.lossScaling != nil {
            let inverse = try 1 / scale
            gradients = try grad(fullLoss * scale, wrt: parameters).map { (g: Tensor) throws(RuntimeError) -> Tensor in try g * inverse }
        } else {
            gradients = try grad(fullLoss, wrt: parameters)
        }
        let norm: Tensor
        if let maximum = options.maximumGradientNorm {
            (gradients, norm) = try Tensor.clippedByGlobalNorm(gradients, maximumNorm: maximum)
        } else {
            norm = try Tensor.globalNorm(gradients)
        }
        var (updated, next) = try optimizer.update(parameters, gradients: gradients, state: state)
        let learningRate = try optimizer.schedule.learningRate(at: next.step)

        var newScale = scale, newFiniteRun = finiteRun, newSkipped = skipped
        if let scaling = options.lossScaling {
            // Skip the whole update when any gradient overflowed: a NaN or infinite norm says so.
            let finite = try norm .< Double.infinity
            updated = try zip(updated, parameters).map { (pair: (Tensor, Tensor)) throws(RuntimeError) -> Tensor in
                try Tensor.select(finite, pair.0, pair.1)
            }
            next = OptimizerState(step: try Tensor.select(finite, next.step, state.step), slots: try zip(next.slots, state.slots).map {
                (pair: ([Tensor], [Tensor])) throws(RuntimeError) -> [Tensor] in
                try zip(pair.0, pair.1).map { (slot: (Tensor, Tensor)) throws(RuntimeError) -> Tensor in try Tensor.select(finite, slot.0, slot.1) }
            })
            let run = try finiteRun + 1
            let grows = try run .>= Double(scaling.growthInterval)
            newScale = try Tensor.select(finite, Tensor.select(grows, scale * scaling.growthFactor, scale), scale * scaling.backoffFactor)
            newFiniteRun = try Tensor.select(finite, Tensor.select(grows, Tensor.zeros(like: run), run), Tensor.zeros(like: run))
            newSkipped = try skipped + Tensor.select(finite, Tensor.zeros(like: skipped), Tensor.ones(like: skipped))
        }
        return [fullLoss, norm, learningRate] + updated + next.slots.flatMap { $0 } + [next.step, newScale, newFiniteRun, newSkipped]
    }
}
