extension Interpreter {
    /// Runs a schedule kernel by kernel through its planned buffers, so that a wrong memory plan
    /// (a buffer reused while still needed) shows up as a wrong answer or a type error.
    /// - Throws: ``KIRError/inputMismatch(function:reason:)`` for wrong inputs, and
    ///   ``KIRError/malformedGraph(function:reason:)`` when a kernel reads a buffer that holds the wrong value.
    public func run(_ schedule: Schedule, inputs: [TensorValue]) throws(KIRError) -> [TensorValue] {
        guard inputs.map(\.type) == schedule.inputTypes else {
            throw .inputMismatch(function: schedule.name, reason: "takes inputs \(schedule.inputTypes.map(\.description)), got \(inputs.map(\.type.description))")
        }
        var buffers: [BufferID: TensorValue] = [:]
        for (index, input) in inputs.enumerated() { buffers[BufferID(index: index)] = input }
        for (position, kernel) in schedule.kernels.enumerated() {
            var arguments: [TensorValue] = []
            for (buffer, parameter) in zip(kernel.inputs, kernel.body.parameters) {
                guard let value = buffers[buffer], value.type == parameter.type else {
                    throw .malformedGraph(function: schedule.name, reason: "kernel #\(position) reads \(buffer) as \(parameter.type), but it holds \(buffers[buffer].map(\.type.description) ?? "nothing")")
                }
                arguments.append(value)
            }
            buffers[kernel.output] = try run(kernel.body, inputs: arguments)[0]
        }
        var results: [TensorValue] = []
        for (buffer, type) in schedule.outputs {
            guard let value = buffers[buffer], value.type == type else {
                throw .malformedGraph(function: schedule.name, reason: "result buffer \(buffer) does not hold a \(type)")
            }
            results.append(value)
        }
        return results
    }
}
