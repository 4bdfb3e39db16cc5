import KernelIR

extension CFamilyRenderer {
    /// A reduction kernel. Float sums accumulate in ``Dialect/wideType`` and round once; max and min
    /// track NaN in a separate flag so the fold stays a plain max or min; an empty reduction gives the
    /// identity (0, -inf or +inf, the i32 extremes for i32), as the interpreter's does. Two loop shapes:
    /// - *rows*: each output element loops over the reduced axes (one loop per run of adjacent reduced
    ///   axes, so a reduction over trailing axes is one contiguous SIMD loop);
    /// - *columns* (on the CPU, when the operand's innermost axis is kept and long enough): a block of
    ///   up to ``columnBlock`` neighbouring outputs is accumulated together, the innermost SIMD loop
    ///   running along that contiguous axis, so a sum over a leading axis (a bias gradient) reads
    ///   memory in order instead of with a stride.
    /// Either way each output folds its elements in row-major order within one lane, so results do
    /// not depend on how the output range is split.
    func reductionFunction(_ kernel: Kernel) throws(BackendError) -> String {
        let body = kernel.body
        guard let instruction = body.instruction(defining: body.results[0]),
              case let .reduce(kind, axes, keepsDimensions) = instruction.op else {
            throw .notImplemented(device, "reduction kernel '\(body.name)' whose result is not a reduce")
        }
        let plan = ReductionPlan(kind: kind, axes: axes, keepsDimensions: keepsDimensions, operand: instruction.operands[0],
                                 operandShape: body.type(of: instruction.operands[0]).shape, type: body.resultTypes[0])
        if dialect.ownsElementLoop, let last = plan.operandShape.dimensions.indices.last,
           !axes.contains(last), plan.operandShape[last] >= 8, !axes.isEmpty {
            return try columnReduction(kernel, plan)
        }
        return try rowReduction(kernel, plan)
    }

    /// Outputs accumulated together by a column reduction.
    static let columnBlock = 64

    /// Elements a staged sum computes before adding them up.
    static let stagedSumBlock = 256

    /// The innermost loop of a float sum in C, in two stages per block of ``stagedSumBlock``
    /// elements: the elements are computed in `float` into a block on the stack, then added in
    /// `double`. One loop mixing float arithmetic with double accumulation vectorizes poorly (a
    /// transcendental in it runs several times slower); two loops of one width each run at full
    /// SIMD width. Each output still sums its elements in a fixed order, so results do not depend
    /// on how the output range is split.
    private func stagedSumLoop(_ loop: (name: String, extent: Int), body: [String], element: String) -> [String] {
        let block = Self.stagedSumBlock
        let name = loop.name
        return [
            "for (long \(name)_block = 0; \(name)_block < \(loop.extent); \(name)_block += \(block)) {",
            "const long \(name)_count = \(loop.extent) - \(name)_block < \(block) ? \(loop.extent) - \(name)_block : \(block);",
            "float staged[\(block)];",
            "#pragma omp simd",
            "for (long \(name)_lane = 0; \(name)_lane < \(name)_count; ++\(name)_lane) {",
            "const long \(name) = \(name)_block + \(name)_lane;",
        ] + body + [
            "staged[\(name)_lane] = \(element);",
            "}",
            "#pragma omp simd reduction(+:acc)",
            "for (long \(name)_lane = 0; \(name)_lane < \(name)_count; ++\(name)_lane) { acc += (double)staged[\(name)_lane]; }",
            "}",
        ]
    }

    private func rowReduction(_ kernel: Kernel, _ plan: ReductionPlan) throws(BackendError) -> String {
        let type = plan.type
        let output = IndexExpression(IndexExpression.Variable(name: "i", extent: type.elementCount, level: 1))
        let (index, loops) = plan.operandIndex(outputIndex: IndexExpression.decomposed(output, in: type.shape), firstLoopLevel: 2)
        var lowering = lowering(kernel, levels: 2 + loops.count)
        let element = try lowering.value(plan.operand, at: index).text
        let fold = accumulator(plan.kind, type.dtype, element: element, slot: "")
        var statements = lowering.blocks[0] + dialect.openParallelIndex("i", isVectorized: false) + lowering.blocks[1]
        statements += fold.accumulators.map { "\($0.type) \($0.name) = \($0.initial);" }
        let stagesSum = dialect.ownsElementLoop && plan.kind == .sum && type.dtype.isFloatingPoint && !loops.isEmpty
        for (position, loop) in loops.enumerated() {
            if stagesSum, position == loops.count - 1 {
                statements += stagedSumLoop(loop, body: lowering.blocks[2 + position], element: element)
                continue
            }
            if position == loops.count - 1, let pragma = dialect.simdPragma(fold.clauses) { statements.append(pragma) }
            statements.append("for (long \(loop.name) = 0; \(loop.name) < \(loop.extent); ++\(loop.name)) {")
            statements += lowering.blocks[2 + position]
        }
        if !stagesSum { statements += fold.update }
        statements += [String](repeating: "}", count: stagesSum ? loops.count - 1 : loops.count)
        statements += ["out[i] = \(lowering.stored(fold.result, type.dtype));", "}"]
        return assemble(kernel, tables: lowering.tables, statements: statements)
    }

    private func columnReduction(_ kernel: Kernel, _ plan: ReductionPlan) throws(BackendError) -> String {
        let type = plan.type
        let extent = type.shape[type.rank - 1]
        let loopCount = plan.loopCount
        let row = IndexExpression(IndexExpression.Variable(name: "o", extent: type.elementCount / extent, level: 1))
        let column = IndexExpression(IndexExpression.Variable(name: "c", extent: extent, level: 2 + loopCount))
        let outputIndex = IndexExpression.decomposed(row, in: Shape(Array(type.shape.dimensions.dropLast()))) + [column]
        let (index, loops) = plan.operandIndex(outputIndex: outputIndex, firstLoopLevel: 2)
        var lowering = lowering(kernel, levels: 3 + loopCount)
        let element = try lowering.value(plan.operand, at: index).text
        let fold = accumulator(plan.kind, type.dtype, element: element, slot: "[l]")
        let block = Self.columnBlock
        var statements = lowering.blocks[0]
        statements += [
            "for (long i = begin; i < end;) {",
            "const long o = i / \(extent);",
            "const long c_begin = i - o * \(extent);",
            "const long c_end = end - o * \(extent) < \(extent) ? end - o * \(extent) : \(extent);",
        ]
        statements += lowering.blocks[1]
        statements += ["for (long c_block = c_begin; c_block < c_end; c_block += \(block)) {",
                       "const long lanes = c_end - c_block < \(block) ? c_end - c_block : \(block);"]
        statements += fold.accumulators.map { "\($0.type) \($0.name)[\(block)];" }
        statements += dialect.simdPragma().map { [$0] } ?? []
        statements += ["for (long l = 0; l < lanes; ++l) {"] + fold.accumulators.map { "\($0.name)[l] = \($0.initial);" } + ["}"]
        for (position, loop) in loops.enumerated() {
            statements.append("for (long \(loop.name) = 0; \(loop.name) < \(loop.extent); ++\(loop.name)) {")
            statements += lowering.blocks[2 + position]
        }
        statements += dialect.simdPragma().map { [$0] } ?? []
        statements += ["for (long l = 0; l < lanes; ++l) {", "const long c = c_block + l;"]
        statements += lowering.blocks[2 + loopCount] + fold.update + ["}"]
        statements += [String](repeating: "}", count: loops.count)
        let offset = IndexExpression.linearized(outputIndex, in: type.shape)
        statements += dialect.simdPragma().map { [$0] } ?? []
        statements += ["for (long l = 0; l < lanes; ++l) {", "const long c = c_block + l;",
                       "out[\(offset)] = \(lowering.stored(fold.result, type.dtype));", "}"]
        statements += ["}", "i = o * \(extent) + c_end;", "}"]
        return assemble(kernel, tables: lowering.tables, statements: statements)
    }

    /// How a reduction folds an element into its accumulators.
    struct Fold {
        /// Declared before the loops: `acc`, and `seen_nan` for float max and min.
        var accumulators: [(type: String, name: String, initial: String)]
        /// Inside the innermost loop.
        var update: [String]
        /// The SIMD clauses for a loop that folds into scalar accumulators.
        var clauses: String
        /// The reduction's value, in the dtype's compute type.
        var result: String

        /// The accumulators' declarations, for a fold with no slot.
        var declarations: [String] { accumulators.map { "\($0.type) \($0.name) = \($0.initial);" } }
    }

    /// The fold of `element` into the accumulators, each named with `slot` appended (e.g. `[l]`, one of a block).
    func accumulator(_ kind: ReduceKind, _ dtype: DType, element x: String, slot: String = "") -> Fold {
        let uint8 = dialect.unsignedType(bits: 8), uint32 = dialect.unsignedType(bits: 32), wide = dialect.wideType
        let acc = "acc" + slot, seen = "seen_nan" + slot
        switch (kind, dtype == .i32) {
        case (.sum, false):
            let result = switch dtype {
            case .f16: "acc_round_f16_wide(\(acc))"
            case .bf16: "acc_round_bf16_wide(\(acc))"
            case .f32, .i32, .bool: "acc_f32_from_wide(\(acc))"
            }
            return Fold(accumulators: [(wide, "acc", "0")], update: ["\(acc) += (\(wide))\(x);"], clauses: "reduction(+:acc)", result: result)
        case (.sum, true):
            // Wrapping sum: the interpreter sums exactly and wraps once, which is the same modulo 2^32.
            return Fold(accumulators: [(uint32, "acc", "0u")], update: ["\(acc) += (\(uint32))\(x);"], clauses: "reduction(+:acc)",
                        result: "(int)\(acc)")
        case (.max, false):
            // On ties Swift's max(result, element) returns the element.
            return Fold(accumulators: [("float", "acc", "-INFINITY"), (uint8, "seen_nan", "0")],
                        update: ["\(acc) = \(x) >= \(acc) ? \(x) : \(acc);", "\(seen) |= (\(uint8))(\(x) != \(x));"],
                        clauses: "reduction(max:acc) reduction(|:seen_nan)", result: "\(seen) ? NAN : \(acc)")
        case (.min, false):
            return Fold(accumulators: [("float", "acc", "INFINITY"), (uint8, "seen_nan", "0")],
                        update: ["\(acc) = \(x) < \(acc) ? \(x) : \(acc);", "\(seen) |= (\(uint8))(\(x) != \(x));"],
                        clauses: "reduction(min:acc) reduction(|:seen_nan)", result: "\(seen) ? NAN : \(acc)")
        case (.max, true):
            return Fold(accumulators: [("int", "acc", "-2147483647 - 1")], update: ["\(acc) = \(x) >= \(acc) ? \(x) : \(acc);"],
                        clauses: "reduction(max:acc)", result: acc)
        case (.min, true):
            return Fold(accumulators: [("int", "acc", "2147483647")], update: ["\(acc) = \(x) < \(acc) ? \(x) : \(acc);"],
                        clauses: "reduction(min:acc)", result: acc)
        }
    }
}

/// Where a reduction's operand is read: kept axes from the output index, reduced axes from loop
/// variables, one per run of adjacent reduced axes.
struct ReductionPlan {
    var kind: ReduceKind
    var axes: [Int]
    var keepsDimensions: Bool
    var operand: Value
    var operandShape: Shape
    /// The result type.
    var type: TensorType

    /// The runs of adjacent reduced axes, each looped over by one variable.
    var groups: [[Int]] {
        var groups: [[Int]] = []
        for axis in axes.sorted() {
            if let last = groups.last?.last, last == axis - 1 { groups[groups.count - 1].append(axis) } else { groups.append([axis]) }
        }
        return groups
    }

    var loopCount: Int { groups.count }

    /// The operand's index for output element `outputIndex`, with the reduction loops (named `r0`,
    /// `r1`, ..., at levels from `firstLoopLevel`) that run over the reduced axes.
    func operandIndex(outputIndex: [IndexExpression], firstLoopLevel: Int) -> (index: [IndexExpression], loops: [(name: String, extent: Int)]) {
        var index = [IndexExpression](repeating: IndexExpression(0), count: operandShape.rank)
        var keptPosition = 0
        for axis in 0..<operandShape.rank where !axes.contains(axis) {
            index[axis] = outputIndex[keepsDimensions ? axis : keptPosition]
            keptPosition += 1
        }
        var loops: [(name: String, extent: Int)] = []
        for (position, group) in groups.enumerated() {
            let groupShape = Shape(group.map { operandShape[$0] })
            let variable = IndexExpression.Variable(name: "r\(position)", extent: groupShape.elementCount, level: firstLoopLevel + position)
            for (axis, component) in zip(group, IndexExpression.decomposed(IndexExpression(variable), in: groupShape)) {
                index[axis] = component
            }
            loops.append((variable.name, groupShape.elementCount))
        }
        return (index, loops)
    }
}
