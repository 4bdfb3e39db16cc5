import KernelIR

/// A C expression for one value of a kernel body at one index, in the value's compute type
/// (``Dialect/computeType(_:)``): a local variable's name or a literal.
struct CValue: Hashable, Sendable {
    /// The expression; a name or a literal, so it can be used as an operand without parentheses.
    var text: String
    /// The loop level the expression depends on (0: none), where its statement is placed.
    var level: Int
}

/// Lowers a kernel body to C statements, one value at one index at a time, the way tinygrad
/// renders index expressions: data-movement ops (broadcast, reshape, permute, reverse, slice, pad,
/// concat) emit no code but change the index their operand is evaluated at; elementwise ops become
/// one `const` local each; loads, iota and random read the index.
///
/// A value evaluated at the same index twice is computed once. Each local goes to the block of the
/// deepest loop whose variable it uses, so work that does not depend on an inner loop is hoisted out
/// of it. Pad and concat read their operands at clamped indices and select, rather than branch, so
/// every read is in bounds and loops stay free of control flow.
struct ScalarLowering {
    let body: Graph
    let dialect: Dialect
    let device: DeviceID
    /// Prefixes the names of file-scope constant tables, to keep them unique in a translation unit.
    let tablePrefix: String
    /// Statements by loop level: 0 before every loop, then one block per nested loop.
    private(set) var blocks: [[String]]
    /// File-scope declarations (`.elements` constants).
    var tables: [String] = []
    /// Every index expression the generated code computes (loads, iota, random, pad and concat
    /// bounds), so the renderer can tell whether a kernel reads only at its own flat index.
    private(set) var indexUses: [IndexExpression] = []
    /// Parameters whose value is already in a variable rather than a buffer, by parameter position:
    /// a contraction's result, which an OpenCL GEMM kernel hands its fused epilogue in a register.
    var substitutedParameters: [Int: CValue] = [:]
    /// The body's `exp` instructions, by name, computed within a few ulps rather than correctly
    /// rounded (``Kernel/relaxedExponentials``).
    var relaxedExponentials: Set<String> = []

    private var memo: [MemoKey: CValue] = [:]
    /// The table of each `.elements` constant already declared, by value index.
    var tableNames: [Int: String] = [:]
    private var localCount = 0

    private struct MemoKey: Hashable {
        var value: Int
        var index: [IndexExpression]
    }

    init(body: Graph, dialect: Dialect, device: DeviceID, tablePrefix: String, levels: Int) {
        self.body = body
        self.dialect = dialect
        self.device = device
        self.tablePrefix = tablePrefix
        blocks = [[String]](repeating: [], count: levels)
    }

    /// The expression for `value` at `index` (one expression per axis of the value's shape).
    /// - Throws: ``BackendError/notImplemented(_:_:)`` for an op a loop kernel cannot contain
    ///   (a reduction that is not the kernel's last op, a matmul or a convolution).
    mutating func value(_ value: Value, at index: [IndexExpression]) throws(BackendError) -> CValue {
        let key = MemoKey(value: value.index, index: index)
        if let known = memo[key] { return known }
        let result = try lower(value, at: index)
        memo[key] = result
        return result
    }

    /// Declares a `const` local of `dtype`'s compute type holding `expression`, at `level`.
    mutating func local(_ expression: String, _ dtype: DType, level: Int) -> CValue {
        let name = "v\(localCount)"
        localCount += 1
        blocks[level].append("const \(dialect.computeType(dtype)) \(name) = \(expression);")
        return CValue(text: name, level: level)
    }

    /// Notes that the generated code computes `index`.
    mutating func use(_ index: IndexExpression) {
        indexUses.append(index)
    }

    private mutating func lower(_ value: Value, at index: [IndexExpression]) throws(BackendError) -> CValue {
        guard let instruction = body.instruction(defining: value) else {
            if let substitute = substitutedParameters[value.index] { return substitute }
            return load(parameter: value.index, at: index)
        }
        let operands = instruction.operands
        let dtype = instruction.type.dtype
        switch instruction.op {
        case .unary(.exp) where relaxedExponentials.contains(instruction.name):
            let x = try self.value(operands[0], at: index)
            return local(rounded("acc_exp_relaxed_f32(\(x.text))", dtype), dtype, level: x.level)
        case let .unary(function):
            let x = try self.value(operands[0], at: index)
            return local(try unary(function, x.text, dtype), dtype, level: x.level)
        case let .binary(function):
            let a = try self.value(operands[0], at: index), b = try self.value(operands[1], at: index)
            return local(try binary(function, a.text, b.text, dtype), dtype, level: max(a.level, b.level))
        case let .compare(comparison):
            let a = try self.value(operands[0], at: index), b = try self.value(operands[1], at: index)
            return local(compare(comparison, a.text, b.text), .bool, level: max(a.level, b.level))
        case .select:
            let condition = try self.value(operands[0], at: index)
            let onTrue = try self.value(operands[1], at: index), onFalse = try self.value(operands[2], at: index)
            return local("\(condition.text) ? \(onTrue.text) : \(onFalse.text)", dtype,
                         level: max(condition.level, onTrue.level, onFalse.level))
        case let .cast(target):
            let x = try self.value(operands[0], at: index)
            guard let expression = cast(x.text, from: body.type(of: operands[0]).dtype, to: target) else { return x }
            return local(expression, target, level: x.level)
        case let .broadcast(shape):
            let operandShape = body.type(of: operands[0]).shape
            let offset = shape.rank - operandShape.rank
            let source = (0..<operandShape.rank).map { operandShape[$0] == 1 ? IndexExpression(0) : index[$0 + offset] }
            return try self.value(operands[0], at: source)
        case .stopGradient:
            return try self.value(operands[0], at: index)
        case let .reshape(shape):
            let offset = IndexExpression.linearized(index, in: shape)
            return try self.value(operands[0], at: IndexExpression.decomposed(offset, in: body.type(of: operands[0]).shape))
        case let .permute(permutation):
            var source = index
            for (axis, sourceAxis) in permutation.enumerated() { source[sourceAxis] = index[axis] }
            return try self.value(operands[0], at: source)
        case let .reverse(axes):
            let operandShape = body.type(of: operands[0]).shape
            var source = index
            for axis in axes { source[axis] = index[axis] * -1 + (operandShape[axis] - 1) }
            return try self.value(operands[0], at: source)
        case let .slice(start, _, stride):
            let source = index.indices.map { index[$0] * stride[$0] + start[$0] }
            return try self.value(operands[0], at: source)
        case let .concat(axis):
            return try concatenation(operands, axis: axis, at: index, dtype: dtype)
        case let .pad(low, _, padding):
            return try padded(operands[0], low: low, value: padding, at: index, dtype: dtype)
        case let .reduce(kind, _, _):
            throw .notImplemented(device, "reduce_\(kind.rawValue) %\(instruction.name) inside a fused loop; a reduction must be its kernel's result")
        case .matmul, .convolution:
            throw .notImplemented(device, "\(instruction.op.mnemonic) %\(instruction.name) in a loop kernel; contractions run as library calls")
        case let .iota(axis, type):
            return iota(at: index[axis], dtype: type.dtype)
        case let .constant(literal, type):
            return constant(literal, type: type, value: value, at: index)
        case let .random(distribution, seed, type):
            return random(distribution, seed: seed, type: type, at: index)
        }
    }

    // MARK: Data movement with bounds

    private mutating func padded(_ operand: Value, low: [Int], value padding: Double, at index: [IndexExpression],
                                 dtype: DType) throws(BackendError) -> CValue {
        let operandShape = body.type(of: operand).shape
        let outside = CValue(text: literal(padding, dtype), level: 0)
        guard operandShape.elementCount > 0 else { return outside }
        var source: [IndexExpression] = []
        var conditions: [String] = []
        var level = 0
        for axis in 0..<operandShape.rank {
            let shifted = index[axis] + -low[axis]
            let (lower, upper) = shifted.bounds
            let extent = operandShape[axis]
            if upper < 0 || lower >= extent { return outside }
            if lower < 0 { conditions.append("\(shifted.parenthesized) >= 0") }
            if upper >= extent { conditions.append("\(shifted.parenthesized) < \(extent)") }
            if lower < 0 || upper >= extent {
                use(shifted)
                level = max(level, shifted.level)
            }
            source.append(shifted.clamped(lower: 0, upper: extent - 1))
        }
        let inside = try self.value(operand, at: source)
        guard !conditions.isEmpty else { return inside }
        return local("(\(conditions.joined(separator: " && "))) ? \(inside.text) : \(outside.text)", dtype, level: max(level, inside.level))
    }

    private mutating func concatenation(_ operands: [Value], axis: Int, at index: [IndexExpression],
                                        dtype: DType) throws(BackendError) -> CValue {
        let position = index[axis]
        let (lower, upper) = position.bounds
        var pieces: [(end: Int, value: CValue)] = []
        var start = 0
        for operand in operands {
            let extent = body.type(of: operand).shape[axis]
            defer { start += extent }
            guard extent > 0, start + extent > lower, start <= upper else { continue }
            var source = index
            source[axis] = (position + -start).clamped(lower: 0, upper: extent - 1)
            pieces.append((start + extent, try self.value(operand, at: source)))
        }
        guard let last = pieces.last else { return CValue(text: literal(0, dtype), level: 0) }
        guard pieces.count > 1 else { return last.value }
        use(position)
        var expression = last.value.text
        for piece in pieces.dropLast().reversed() {
            expression = "\(position.parenthesized) < \(piece.end) ? \(piece.value.text) : (\(expression))"
        }
        let level = pieces.map(\.value.level).reduce(position.level, max)
        return local(expression, dtype, level: level)
    }
}
