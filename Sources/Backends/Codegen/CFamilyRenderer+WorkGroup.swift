import KernelIR

/// The two shapes of code only a work-group dialect (OpenCL) uses, written with the same
/// ``ScalarLowering`` as every other kernel, so no op's expression is written twice:
/// - a reduction in which a work-group computes one output element, each work item folding a
///   strided share of the reduced elements and the group combining the partial results in a tree
///   in local memory;
/// - a contraction's epilogue as a helper function that a GEMM kernel calls for each output
///   element it stores, with the contraction's value handed over in a register.
extension CFamilyRenderer {
    /// A reduction kernel run by work-groups of `width` items (a power of two), one group per output
    /// element: global size `outputs × width`, local size `width`.
    ///
    /// Each item folds reduced elements `lid, lid + width, ...` in the accumulator of
    /// ``accumulator(_:_:element:)``; the partial results meet in a tree, whose order differs from
    /// a sequential sum by rounding only (float sums stay within the dtype's tolerance).
    /// - Throws: ``BackendError/notImplemented(_:_:)`` when the kernel's result is not a reduce.
    func workGroupReductionFunction(_ kernel: Kernel, width: Int) throws(BackendError) -> String {
        precondition(width > 0 && width & (width - 1) == 0, "workGroupReductionFunction: width \(width) is not a power of two")
        let body = kernel.body
        let type = body.resultTypes[0]
        guard let instruction = body.instruction(defining: body.results[0]),
              case let .reduce(kind, axes, keepsDimensions) = instruction.op else {
            throw .notImplemented(device, "reduction kernel '\(body.name)' whose result is not a reduce")
        }
        let operand = instruction.operands[0]
        let operandShape = body.type(of: operand).shape
        let output = IndexExpression(IndexExpression.Variable(name: "i", extent: type.elementCount, level: 1))
        let outputIndex = IndexExpression.decomposed(output, in: type.shape)
        let reducedAxes = axes.sorted()
        let reducedShape = Shape(reducedAxes.map { operandShape[$0] })
        let reduced = IndexExpression(IndexExpression.Variable(name: "r", extent: reducedShape.elementCount, level: 2))
        var index = [IndexExpression](repeating: IndexExpression(0), count: operandShape.rank)
        var keptPosition = 0
        for axis in 0..<operandShape.rank where !axes.contains(axis) {
            index[axis] = outputIndex[keepsDimensions ? axis : keptPosition]
            keptPosition += 1
        }
        for (axis, component) in zip(reducedAxes, IndexExpression.decomposed(reduced, in: reducedShape)) { index[axis] = component }

        var lowering = lowering(kernel, levels: 3)
        let element = try lowering.value(operand, at: index).text
        let fold = accumulator(kind, type.dtype, element: element)
        let isFloat = type.dtype != .i32
        let partialType = switch (kind, isFloat) {
        case (.sum, true): dialect.wideType
        case (.sum, false): dialect.unsignedType(bits: 32)
        case (.max, true), (.min, true): "float"
        case (.max, false), (.min, false): "int"
        }
        let tracksNaN = isFloat && kind != .sum
        let u8 = dialect.unsignedType(bits: 8)
        let combine: String
        switch kind {
        case .sum: combine = "acc_partial[lid] += acc_partial[lid + s];"
        case .max: combine = "const \(partialType) o = acc_partial[lid + s]; acc_partial[lid] = o >= acc_partial[lid] ? o : acc_partial[lid];"
        case .min: combine = "const \(partialType) o = acc_partial[lid + s]; acc_partial[lid] = o < acc_partial[lid] ? o : acc_partial[lid];"
        }
        var statements = lowering.blocks[0]
        statements.append("__local \(partialType) acc_partial[\(width)];")
        if tracksNaN { statements.append("__local \(u8) acc_nan[\(width)];") }
        statements += [
            "const int lid = (int)get_local_id(0);",
            // Every group is a valid output element (the global size is exact), so the barriers below
            // are reached by all items of a group.
            "const long i = begin + (long)get_group_id(0);",
        ]
        statements += lowering.blocks[1]
        statements += fold.declarations
        statements.append("for (long r = lid; r < \(reducedShape.elementCount); r += \(width)) {")
        statements += lowering.blocks[2]
        statements += fold.update
        statements.append("}")
        statements.append("acc_partial[lid] = acc;")
        if tracksNaN { statements.append("acc_nan[lid] = seen_nan;") }
        statements.append("barrier(CLK_LOCAL_MEM_FENCE);")
        statements.append("for (int s = \(width / 2); s > 0; s >>= 1) {")
        statements.append("if (lid < s) { \(combine)\(tracksNaN ? " acc_nan[lid] |= acc_nan[lid + s];" : "") }")
        statements.append("barrier(CLK_LOCAL_MEM_FENCE);")
        statements.append("}")
        statements.append("if (lid == 0) {")
        statements.append("acc = acc_partial[0];")
        if tracksNaN { statements.append("seen_nan = acc_nan[0];") }
        statements.append("out[i] = \(lowering.stored(fold.result, type.dtype));")
        statements.append("}")
        return assemble(kernel, tables: lowering.tables, statements: statements)
    }

    /// A contraction's epilogue (``Kernel/ContractionParts/epilogue``) as a helper named
    /// ``functionNameToken``: `void NAME(in0, ..., out, const long i, const T value)` stores output element
    /// `i`, given the contraction's unrounded value there (`float`, or `uint` for i32).
    ///
    /// The epilogue's parameter `contractionParameter` (the contraction's result) is not a buffer
    /// but `value`, rounded to `contractionType` as storing it would round it. Tables of constants
    /// come first, at file scope.
    /// - Throws: ``BackendError/notImplemented(_:_:)`` for a body op a loop cannot hold.
    func epilogueElementFunction(_ epilogue: Kernel, contractionParameter: Int,
                                        contractionType: DType) throws(BackendError) -> String {
        let body = epilogue.body
        let type = body.resultTypes[0]
        let flatIndex = IndexExpression(IndexExpression.Variable(name: "i", extent: type.elementCount, level: 1))
        var lowering = lowering(epilogue, levels: 2)
        let valueExpression = switch contractionType {
        case .f16: "acc_round_f16(value)"
        case .bf16: "acc_round_bf16(value)"
        case .i32: "(int)value"
        case .f32, .bool: "value"
        }
        lowering.substitutedParameters[contractionParameter] = lowering.local(valueExpression, contractionType, level: 1)
        let result = try lowering.value(body.results[0], at: IndexExpression.decomposed(flatIndex, in: type.shape))
        var parameters: [String] = []
        for buffer in buffers(of: epilogue) where buffer.name != "in\(contractionParameter)" {
            parameters.append("\(dialect.globalQualifier)\(buffer.isWritten ? "" : "const ")\(buffer.storageType) *\(buffer.name)")
        }
        let valueType = contractionType == .i32 ? dialect.unsignedType(bits: 32) : "float"
        parameters += ["const long i", "const \(valueType) value"]
        var lines = lowering.tables
        lines.append("\(dialect.helperQualifier)void \(Self.functionNameToken)(\(parameters.joined(separator: ", "))) {")
        for statement in lowering.blocks[0] + lowering.blocks[1] { lines.append("    " + statement) }
        lines.append("    out[i] = \(lowering.stored(result.text, type.dtype));")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
