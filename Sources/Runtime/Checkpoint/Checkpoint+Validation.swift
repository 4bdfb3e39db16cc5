import KernelIR

extension Checkpoint {
    /// Checks the checkpoint against a model's parameters and optimizer slots, so a mismatch is found
    /// before training, naming the first key at fault.
    ///
    /// Every parameter must be present with its exact type, and no other tensor may be. Optimizer state
    /// is checked only when the checkpoint has some: a parameters-only file (such as a PyTorch export)
    /// starts the optimizer afresh.
    /// - Throws: ``CheckpointError/missingTensor(_:)``, ``CheckpointError/unexpectedTensor(_:known:)``,
    ///   ``CheckpointError/shapeMismatch(_:expected:found:)`` or ``CheckpointError/dtypeMismatch(_:expected:found:)``.
    public func validate(against expected: [Parameter], optimizerSlots slots: [String] = []) throws(CheckpointError) {
        try Self.check(parameters, against: expected)
        guard !optimizerState.isEmpty else { return }
        let slotParameters = slots.flatMap { slot in expected.map { Parameter(name: slot + "." + $0.name, type: $0.type) } }
        try Self.check(optimizerState, against: slotParameters)
    }

    private static func check(_ tensors: [String: TensorValue], against expected: [Parameter]) throws(CheckpointError) {
        for parameter in expected {
            guard let tensor = tensors[parameter.name] else { throw .missingTensor(parameter.name) }
            if tensor.dtype != parameter.type.dtype {
                throw .dtypeMismatch(parameter.name, expected: parameter.type.dtype, found: tensor.dtype)
            }
            if tensor.shape != parameter.type.shape {
                throw .shapeMismatch(parameter.name, expected: parameter.type.shape, found: tensor.shape)
            }
        }
        let names = Set(expected.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !names.contains($0) }) {
            throw .unexpectedTensor(extra, known: expected.map(\.name))
        }
    }
}
