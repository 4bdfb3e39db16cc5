import KernelIR

extension CFamilyRenderer {
    /// A reduction kernel: for each output element, loops over the reduced axes (one loop per run of
    /// adjacent reduced axes, so a reduction over trailing axes is one contiguous loop) and folds the
    /// fused producers' values. Float sums accumulate in ``Dialect/wideType`` and round once; max and
    /// min track NaN separately so the SIMD loop stays a plain max/min; an empty reduction gives the
    /// identity (0, -inf or +inf, the i32 extremes for i32), as the interpreter's does.
    func reductionFunction(_ kernel: Kernel) throws(BackendError) -> String {
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

        var groups: [[Int]] = []
        for axis in axes.sorted() {
            if let last = groups.last?.last, last == axis - 1 { groups[groups.count - 1].append(axis) } else { groups.append([axis]) }
        }
        var index = [IndexExpression](repeating: IndexExpression(0), count: operandShape.rank)
        var keptPosition = 0
        for axis in 0..<operandShape.rank where !axes.contains(axis) {
            index[axis] = outputIndex[keepsDimensions ? axis : keptPosition]
            keptPosition += 1
        }
        var loops: [(name: String, extent: Int)] = []
        for (position, group) in groups.enumerated() {
            let groupShape = Shape(group.map { operandShape[$0] })
            let variable = IndexExpression.Variable(name: "r\(position)", extent: groupShape.elementCount, level: 2 + position)
            for (axis, component) in zip(group, IndexExpression.decomposed(IndexExpression(variable), in: groupShape)) {
                index[axis] = component
            }
            loops.append((variable.name, groupShape.elementCount))
        }

        var lowering = lowering(kernel, levels: 2 + loops.count)
        let element = try lowering.value(operand, at: index).text
        let fold = accumulator(kind, type.dtype, element: element)
        var statements = lowering.blocks[0] + dialect.openParallelIndex("i", isVectorized: false) + lowering.blocks[1]
        statements += fold.declarations
        for (position, loop) in loops.enumerated() {
            if position == loops.count - 1, let pragma = dialect.simdPragma(fold.clauses) { statements.append(pragma) }
            statements.append("for (long \(loop.name) = 0; \(loop.name) < \(loop.extent); ++\(loop.name)) {")
            statements += lowering.blocks[2 + position]
        }
        statements += fold.update
        statements += [String](repeating: "}", count: loops.count)
        statements += ["out[i] = \(lowering.stored(fold.result, type.dtype));", "}"]
        return assemble(kernel, tables: lowering.tables, statements: statements)
    }

    /// How a reduction folds `element` into its accumulator: declarations before the loops, the
    /// update inside, the SIMD clauses, and the result in the dtype's compute type.
    func accumulator(_ kind: ReduceKind, _ dtype: DType, element x: String)
        -> (declarations: [String], update: [String], clauses: String, result: String) {
        let u8 = dialect.unsignedType(bits: 8), u32 = dialect.unsignedType(bits: 32), wide = dialect.wideType
        switch (kind, dtype == .i32) {
        case (.sum, false):
            let result = switch dtype {
            case .f16: "acc_round_f16_wide(acc)"
            case .bf16: "acc_round_bf16_wide(acc)"
            case .f32, .i32, .bool: "acc_f32_from_wide(acc)"
            }
            return (["\(wide) acc = 0;"], ["acc += (\(wide))\(x);"], "reduction(+:acc)", result)
        case (.sum, true):
            // Wrapping sum: the interpreter sums exactly and wraps once, which is the same modulo 2^32.
            return (["\(u32) acc = 0u;"], ["acc += (\(u32))\(x);"], "reduction(+:acc)", "(int)acc")
        case (.max, false):
            // On ties Swift's max(result, element) returns the element.
            return (["float acc = -INFINITY;", "\(u8) seen_nan = 0;"],
                    ["acc = \(x) >= acc ? \(x) : acc;", "seen_nan |= (\(u8))(\(x) != \(x));"],
                    "reduction(max:acc) reduction(|:seen_nan)", "seen_nan ? NAN : acc")
        case (.min, false):
            return (["float acc = INFINITY;", "\(u8) seen_nan = 0;"],
                    ["acc = \(x) < acc ? \(x) : acc;", "seen_nan |= (\(u8))(\(x) != \(x));"],
                    "reduction(min:acc) reduction(|:seen_nan)", "seen_nan ? NAN : acc")
        case (.max, true):
            return (["int acc = -2147483647 - 1;"], ["acc = \(x) >= acc ? \(x) : acc;"], "reduction(max:acc)", "acc")
        case (.min, true):
            return (["int acc = 2147483647;"], ["acc = \(x) < acc ? \(x) : acc;"], "reduction(min:acc)", "acc")
        }
    }
}
