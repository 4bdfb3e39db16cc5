extension Kernel {
    /// A contraction kernel split for a backend that calls a library for the matmul or convolution
    /// and then runs the rest as a loop in place over the output.
    public struct ContractionParts: Sendable {
        /// The matmul or convolution op.
        public var op: Op
        /// Which of the kernel's inputs are the contraction's two operands.
        public var operandInputs: [Int]
        /// How each operand lies in its input's buffer: row-major, or a view read through strides
        /// (only when fused with ``Fusion/Options/contractionsReadStridedOperands``).
        public var operandLayouts: [StridedLayout]
        /// The contraction's result type.
        public var type: TensorType
        /// The elementwise epilogue as a loop kernel over the output's index space, or `nil` when the
        /// contraction's result is the output. Its inputs are the kernel's inputs followed by the
        /// output buffer itself, which holds the contraction's result when the epilogue starts. Each
        /// output element depends only on the same element of that result, so running it in place is
        /// safe when the epilogue keeps the element size; when it changes it (a cast to f16, a compare
        /// to bool), the backend must stage the contraction's result in scratch memory instead.
        public var epilogue: Kernel?
    }

    /// The kernel split into its contraction and epilogue, or `nil` for loop and reduction kernels.
    public var contractionParts: ContractionParts? {
        guard kind == .contraction,
              let position = body.instructions.firstIndex(where: {
                  switch $0.op { case .matmul, .convolution: true; default: false }
              }) else { return nil }
        let contraction = body.instructions[position]
        let contractionValue = body.value(ofInstructionAt: position)
        var operandInputs: [Int] = [], operandLayouts: [StridedLayout] = []
        for operand in contraction.operands {
            if let (source, layout) = Analysis.stridedSource(body, operand.index), source < body.parameters.count {
                operandInputs.append(source)
                operandLayouts.append(layout)
            } else {
                operandInputs.append(operand.index)
                operandLayouts.append(StridedLayout(contiguous: body.type(of: operand).shape))
            }
        }
        guard body.results[0] != contractionValue else {
            return ContractionParts(op: contraction.op, operandInputs: operandInputs, operandLayouts: operandLayouts,
                                    type: contraction.type, epilogue: nil)
        }
        let builder = GraphBuilder(name: body.name + "_epilogue")
        var mapping: [Value: Value] = [:]
        for (index, parameter) in body.parameters.enumerated() {
            mapping[Value(index: index)] = builder.parameter(parameter.type, name: parameter.name)
        }
        mapping[contractionValue] = builder.parameter(contraction.type, name: contraction.name)
        do {
            for (index, instruction) in body.instructions.enumerated() where index != position {
                let operands = instruction.operands.compactMap { mapping[$0] }
                mapping[body.value(ofInstructionAt: index)] = try builder.emit(instruction.op, operands, name: instruction.name)
            }
        } catch {
            preconditionFailure("Kernel.contractionParts: re-emitting a verified epilogue failed: \(error)")
        }
        guard let result = mapping[body.results[0]] else { preconditionFailure("Kernel.contractionParts: epilogue result missing") }
        // Views that only fed the contraction are dead in the epilogue.
        let epilogueBody = DeadCodeElimination().run(builder.build(returning: [result]))
        let epilogue = Kernel(kind: .loop, body: epilogueBody, inputs: inputs + [output], output: output,
                              relaxedExponentials: relaxedExponentials)
        return ContractionParts(op: contraction.op, operandInputs: operandInputs, operandLayouts: operandLayouts,
                                type: contraction.type, epilogue: epilogue)
    }
}
