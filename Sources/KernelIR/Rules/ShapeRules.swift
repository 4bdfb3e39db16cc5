/// The dtype and shape rule of every op: the one function the builder, the parser and the
/// verifier call to type an instruction.
public enum ShapeRules {
    /// The type `op` produces from operands of `operands`' types.
    /// - Throws: ``KIRError/arity(_:expected:found:)``, ``KIRError/dtypeMismatch(_:expected:found:)``,
    ///   ``KIRError/shapeMismatch(_:expected:found:)`` or ``KIRError/invalidAttribute(_:attribute:reason:)``,
    ///   located at `site`.
    public static func resultType(of op: Op, operands: [TensorType], at site: Site) throws(KIRError) -> TensorType {
        let rule = Rule(site: site, operands: operands)
        switch op {
        case let .unary(function):
            let x = try rule.single()
            let allowsIntegers = function == .neg || function == .abs || function == .sign
            try rule.require(x.dtype.isFloatingPoint || (allowsIntegers && x.dtype == .i32),
                             x.dtype, allowsIntegers ? "a floating-point or i32 operand" : "a floating-point operand")
            return x
        case let .binary(function):
            let x = try rule.sameTypePair()
            let allowsIntegers = function != .pow
            try rule.require(x.dtype.isFloatingPoint || (allowsIntegers && x.dtype == .i32),
                             x.dtype, allowsIntegers ? "floating-point or i32 operands" : "floating-point operands")
            return x
        case let .compare(comparison):
            let x = try rule.sameTypePair()
            try rule.require(x.dtype != .bool || comparison == .eq || comparison == .ne,
                             x.dtype, "ordered operands (bool supports only eq and ne)")
            return x.with(dtype: .bool)
        case .select:
            try rule.arity(3)
            let (condition, onTrue, onFalse) = (operands[0], operands[1], operands[2])
            try rule.require(condition.dtype == .bool, condition.dtype, "a bool condition")
            try rule.require(onTrue.dtype == onFalse.dtype, onFalse.dtype, "both branches of dtype \(onTrue.dtype)")
            try rule.requireShape(onFalse.shape, equals: onTrue.shape)
            try rule.requireShape(condition.shape, equals: onTrue.shape)
            return onTrue
        case let .cast(dtype):
            return try rule.single().with(dtype: dtype)
        case let .broadcast(shape):
            let x = try rule.single()
            guard x.rank <= shape.rank else {
                throw .invalidAttribute(site, attribute: "shape", reason: "\(shape) has fewer dimensions than the operand's \(x.shape)")
            }
            let offset = shape.rank - x.rank
            for axis in 0..<x.rank where x.shape[axis] != 1 && x.shape[axis] != shape[axis + offset] {
                throw .invalidAttribute(site, attribute: "shape",
                                        reason: "\(shape) cannot take operand \(x.shape): dimension \(axis) is \(x.shape[axis]), not 1 or \(shape[axis + offset])")
            }
            return x.reshaped(to: shape)
        case let .reshape(shape):
            let x = try rule.single()
            guard x.elementCount == shape.elementCount else {
                throw .invalidAttribute(site, attribute: "shape",
                                        reason: "\(shape) holds \(shape.elementCount) elements but the operand \(x.shape) holds \(x.elementCount)")
            }
            return x.reshaped(to: shape)
        case let .permute(permutation):
            let x = try rule.single()
            guard permutation.count == x.rank, permutation.sorted() == Array(0..<x.rank) else {
                throw .invalidAttribute(site, attribute: "permutation",
                                        reason: "\(permutation) is not a permutation of 0..<\(x.rank)")
            }
            return x.reshaped(to: Shape(permutation.map { x.shape[$0] }))
        case .stopGradient:
            return try rule.single()
        case let .reverse(axes):
            let x = try rule.single()
            for axis in axes { try rule.requireAxis(axis, rank: x.rank, "axes") }
            guard Set(axes).count == axes.count else {
                throw .invalidAttribute(site, attribute: "axes", reason: "\(axes) names an axis twice")
            }
            return x
        case let .slice(start, limit, stride):
            let x = try rule.single()
            try rule.requireLength(start, x.rank, "start")
            try rule.requireLength(limit, x.rank, "limit")
            try rule.requireLength(stride, x.rank, "stride")
            var dimensions: [Int] = []
            for axis in 0..<x.rank {
                guard stride[axis] >= 1 else {
                    throw .invalidAttribute(site, attribute: "stride", reason: "must be at least 1, got \(stride[axis]) at axis \(axis)")
                }
                guard 0 <= start[axis], start[axis] <= limit[axis], limit[axis] <= x.shape[axis] else {
                    throw .invalidAttribute(site, attribute: "limit",
                                            reason: "needs 0 <= start <= limit <= \(x.shape[axis]) at axis \(axis), got start \(start[axis]) and limit \(limit[axis])")
                }
                let extent = limit[axis] - start[axis]
                dimensions.append(extent == 0 ? 0 : (extent - 1) / stride[axis] + 1)
            }
            return x.reshaped(to: Shape(dimensions))
        case let .concat(axis):
            guard let first = operands.first else { throw .arity(site, expected: "at least 1", found: 0) }
            try rule.requireAxis(axis, rank: first.rank, "axis")
            var total = 0
            for operand in operands {
                try rule.require(operand.dtype == first.dtype, operand.dtype, "every operand of dtype \(first.dtype)")
                var expected = first.shape.dimensions
                if operand.rank == first.rank { expected[axis] = operand.shape[axis] }
                try rule.requireShape(operand.shape, equals: Shape(expected))
                total = try rule.add(total, operand.shape[axis])
            }
            var dimensions = first.shape.dimensions
            dimensions[axis] = total
            return first.reshaped(to: Shape(dimensions))
        case let .pad(low, high, value):
            let x = try rule.single()
            try rule.requireRepresentable(value, in: x.dtype, attribute: "value")
            try rule.requireLength(low, x.rank, "low")
            try rule.requireLength(high, x.rank, "high")
            var dimensions: [Int] = []
            for axis in 0..<x.rank {
                guard low[axis] >= 0, high[axis] >= 0 else {
                    throw .invalidAttribute(site, attribute: low[axis] < 0 ? "low" : "high",
                                            reason: "must be non-negative at axis \(axis); use slice to remove elements")
                }
                dimensions.append(try rule.add(try rule.add(x.shape[axis], low[axis]), high[axis]))
            }
            return try rule.shape(dimensions, dtype: x.dtype)
        case let .reduce(kind, axes, keepsDimensions):
            let x = try rule.single()
            try rule.require(x.dtype != .bool, x.dtype, "a numeric operand for reduce_\(kind.rawValue)")
            for axis in axes { try rule.requireAxis(axis, rank: x.rank, "axes") }
            guard Set(axes).count == axes.count else {
                throw .invalidAttribute(site, attribute: "axes", reason: "\(axes) names an axis twice")
            }
            let dimensions = x.shape.dimensions.enumerated().compactMap { axis, size in
                axes.contains(axis) ? (keepsDimensions ? 1 : nil) : size
            }
            return x.reshaped(to: Shape(dimensions))
        case .matmul:
            let (a, b) = try rule.pair()
            try rule.require(a.dtype == b.dtype, b.dtype, "both operands of dtype \(a.dtype)")
            try rule.require(a.dtype != .bool, a.dtype, "numeric operands")
            guard a.rank >= 2, b.rank >= 2 else {
                throw .shapeMismatch(site, expected: "operands of rank 2 or more ([..., m, k] x [..., k, n])", found: a.rank < 2 ? a.shape : b.shape)
            }
            let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
            let (kb, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
            guard k == kb else {
                throw .shapeMismatch(site, expected: "a right operand with \(k) rows to match the left operand \(a.shape)", found: b.shape)
            }
            let batch = try rule.broadcastBatch(Array(a.shape.dimensions.dropLast(2)), Array(b.shape.dimensions.dropLast(2)))
            return try rule.shape(batch + [m, n], dtype: a.dtype)
        case let .convolution(convolution):
            return try ConvolutionShape.resultType(convolution, operands: operands, rule: rule)
        case let .iota(axis, type):
            try rule.arity(0)
            try rule.requireAxis(axis, rank: type.rank, "axis")
            try rule.require(type.dtype != .bool, type.dtype, "a numeric result dtype")
            return type
        case let .constant(literal, type):
            try rule.arity(0)
            switch literal {
            case let .splat(value):
                try rule.requireRepresentable(value, in: type.dtype, attribute: "value")
            case let .elements(values):
                guard values.count == type.elementCount else {
                    throw .invalidAttribute(site, attribute: "values",
                                            reason: "lists \(values.count) elements but \(type) holds \(type.elementCount)")
                }
                for value in values { try rule.requireRepresentable(value, in: type.dtype, attribute: "values") }
            }
            return type
        case let .random(_, seed, type):
            try rule.arity(0)
            try rule.require(type.dtype.isFloatingPoint, type.dtype, "a floating-point result dtype")
            guard seed >= 0 else { throw .invalidAttribute(site, attribute: "seed", reason: "must be non-negative, got \(seed)") }
            return type
        }
    }
}

/// The checks shape rules share, each throwing a located ``KIRError``.
struct Rule {
    let site: Site
    let operands: [TensorType]

    func arity(_ count: Int) throws(KIRError) {
        guard operands.count == count else { throw .arity(site, expected: String(count), found: operands.count) }
    }

    func single() throws(KIRError) -> TensorType {
        try arity(1)
        return operands[0]
    }

    func pair() throws(KIRError) -> (TensorType, TensorType) {
        try arity(2)
        return (operands[0], operands[1])
    }

    func sameTypePair() throws(KIRError) -> TensorType {
        let (a, b) = try pair()
        try require(a.dtype == b.dtype, b.dtype, "both operands of dtype \(a.dtype)")
        try requireShape(b.shape, equals: a.shape)
        return a
    }

    func require(_ condition: Bool, _ found: DType, _ expected: String) throws(KIRError) {
        guard condition else { throw .dtypeMismatch(site, expected: expected, found: found) }
    }

    func requireShape(_ found: Shape, equals expected: Shape) throws(KIRError) {
        guard found == expected else { throw .shapeMismatch(site, expected: "shape \(expected)", found: found) }
    }

    func requireLength(_ values: [Int], _ rank: Int, _ attribute: String) throws(KIRError) {
        guard values.count == rank else {
            throw .invalidAttribute(site, attribute: attribute, reason: "has \(values.count) entries but the operand has rank \(rank)")
        }
    }

    func requireAxis(_ axis: Int, rank: Int, _ attribute: String) throws(KIRError) {
        guard (0..<rank).contains(axis) else {
            throw .invalidAttribute(site, attribute: attribute, reason: "names axis \(axis), out of range for rank \(rank)")
        }
    }

    /// Integer and bool literals must be exact: `i32` finite integers in range, `bool` 0 or 1.
    func requireRepresentable(_ value: Double, in dtype: DType, attribute: String) throws(KIRError) {
        let exact: Bool = switch dtype {
        case .f32, .f16, .bf16: true
        case .i32: value.isFinite && value == value.rounded() && Swift.abs(value) <= 2_147_483_648 && value != 2_147_483_648
        case .bool: value == 0 || value == 1
        }
        guard exact else {
            throw .invalidAttribute(site, attribute: attribute, reason: "holds \(AttributeValue.spell(value)), which \(dtype) cannot represent exactly")
        }
    }

    func add(_ a: Int, _ b: Int) throws(KIRError) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw .invalidAttribute(site, attribute: "shape", reason: "makes a dimension overflow 64 bits") }
        return sum
    }

    func shape(_ dimensions: [Int], dtype: DType) throws(KIRError) -> TensorType {
        guard let shape = Shape(checking: dimensions) else {
            throw .invalidAttribute(site, attribute: "shape", reason: "gives \(dimensions), whose element count overflows 64 bits")
        }
        return TensorType(dtype, shape)
    }

    /// Numpy broadcasting of two batch-dimension lists, aligned to the right.
    func broadcastBatch(_ a: [Int], _ b: [Int]) throws(KIRError) -> [Int] {
        let rank = max(a.count, b.count)
        let paddedA = [Int](repeating: 1, count: rank - a.count) + a
        let paddedB = [Int](repeating: 1, count: rank - b.count) + b
        var result: [Int] = []
        for (x, y) in zip(paddedA, paddedB) {
            guard x == y || x == 1 || y == 1 else {
                throw .shapeMismatch(site, expected: "batch dimensions that broadcast with \(Shape(a))", found: Shape(b))
            }
            result.append(x == 1 ? y : x)
        }
        return result
    }
}
