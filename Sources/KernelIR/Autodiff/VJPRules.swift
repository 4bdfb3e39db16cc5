/// The vector-Jacobian product of every primitive, written in IR: given the adjoint of an op's
/// result, the adjoints of its operands. Rules may reuse the forward result (`exp`, `tanh`, ...).
///
/// Conventions: `max`/`min` (binary) send the gradient to the first operand on ties;
/// `reduce_max`/`reduce_min` split it evenly among tied extreme elements; `floor` and `sign` have
/// zero derivative; non-floating operands (conditions, integers) receive none.
struct VJPRules {
    let builder: GraphBuilder

    /// The adjoint of each operand (`nil` for none), given the adjoint of the result.
    func pullback(_ op: Op, operands x: [Value], result y: Value, adjoint g: Value, wanted: [Bool]) throws(KIRError) -> [Value?] {
        let b = builder
        switch op {
        case let .unary(function):
            return [try unaryPullback(function, x[0], y, g)]
        case let .binary(function):
            return try binaryPullback(function, x[0], x[1], y, g, wanted: wanted)
        case .compare, .iota, .constant, .random:
            return x.map { _ in nil }
        case .select:
            let zero = try zeros(like: g)
            return [nil,
                    wanted[1] ? try b.select(x[0], g, zero) : nil,
                    wanted[2] ? try b.select(x[0], zero, g) : nil]
        case .cast:
            let source = b.type(of: x[0]).dtype
            return [source.isFloatingPoint ? try b.cast(g, to: source) : nil]
        case .broadcast:
            return [try unbroadcast(g, to: b.type(of: x[0]).shape)]
        case .reshape:
            return [try b.reshape(g, to: b.type(of: x[0]).shape)]
        case .stopGradient:
            return [nil]
        case let .permute(permutation):
            var inverse = [Int](repeating: 0, count: permutation.count)
            for (axis, source) in permutation.enumerated() { inverse[source] = axis }
            return [try b.permute(g, inverse)]
        case let .reverse(axes):
            return [try b.reverse(g, axes: axes)]
        case let .slice(start, _, stride):
            return [try scatterSlice(g, into: b.type(of: x[0]).shape, start: start, stride: stride)]
        case let .concat(axis):
            var offset = 0
            var pieces: [Value?] = []
            let shape = b.type(of: g).shape
            for operand in x {
                let extent = b.type(of: operand).shape[axis]
                var start = [Int](repeating: 0, count: shape.rank), limit = shape.dimensions
                start[axis] = offset
                limit[axis] = offset + extent
                pieces.append(try b.slice(g, start: start, limit: limit))
                offset += extent
            }
            return pieces
        case let .pad(low, _, _):
            let shape = b.type(of: x[0]).shape
            return [try b.slice(g, start: low, limit: zip(low, shape.dimensions).map { $0 + $1 }), ]
        case let .reduce(kind, axes, keepsDimensions):
            let inputShape = b.type(of: x[0]).shape
            let keptShape = Shape(inputShape.dimensions.enumerated().map { axes.contains($0.offset) ? 1 : $0.element })
            let keptAdjoint = keepsDimensions ? g : try b.reshape(g, to: keptShape)
            switch kind {
            case .sum:
                return [try b.broadcast(keptAdjoint, to: inputShape)]
            case .max, .min:
                let keptResult = keepsDimensions ? y : try b.reshape(y, to: keptShape)
                let isExtreme = try b.compare(x[0], .eq, b.broadcast(keptResult, to: inputShape))
                let mask = try b.cast(isExtreme, to: b.type(of: x[0]).dtype)
                let count = try b.reduce(.sum, mask, over: axes, keepingDimensions: true)
                let share = try b.div(keptAdjoint, count)
                return [try b.mul(b.broadcast(share, to: inputShape), mask)]
            }
        case .matmul:
            let (a, c) = (x[0], x[1])
            let aType = b.type(of: a), cType = b.type(of: c)
            var da: Value?, dc: Value?
            if wanted[0] { da = try unbroadcast(try b.matmul(g, transposed(c)), to: aType.shape) }
            if wanted[1] { dc = try unbroadcast(try b.matmul(transposed(a), g), to: cType.shape) }
            return [da, dc]
        case let .convolution(attributes):
            let rule = ConvolutionVJP(builder: b, attributes: attributes)
            return [wanted[0] ? try rule.inputGradient(g, input: x[0], filter: x[1]) : nil,
                    wanted[1] ? try rule.filterGradient(g, input: x[0], filter: x[1]) : nil]
        }
    }

    private func unaryPullback(_ function: UnaryFunction, _ x: Value, _ y: Value, _ g: Value) throws(KIRError) -> Value? {
        let b = builder
        switch function {
        case .neg: return try b.neg(g)
        case .abs: return try b.mul(g, b.unary(.sign, x))
        case .floor, .sign: return nil
        case .exp: return try b.mul(g, y)
        case .log: return try b.div(g, x)
        case .sqrt: return try b.div(b.mul(g, constant(0.5, like: g)), y)
        case .rsqrt: return try b.mul(g, b.mul(constant(-0.5, like: g), b.div(y, x)))
        case .tanh: return try b.mul(g, b.sub(constant(1, like: y), b.mul(y, y)))
        case .sigmoid: return try b.mul(g, b.mul(y, b.sub(constant(1, like: y), y)))
        case .sin: return try b.mul(g, b.unary(.cos, x))
        case .cos: return try b.neg(b.mul(g, b.unary(.sin, x)))
        case .recip: return try b.neg(b.mul(g, b.mul(y, y)))
        }
    }

    private func binaryPullback(_ function: BinaryFunction, _ a: Value, _ c: Value, _ y: Value, _ g: Value,
                                wanted: [Bool]) throws(KIRError) -> [Value?] {
        let b = builder
        switch function {
        case .add: return [g, g]
        case .sub: return [g, wanted[1] ? try b.neg(g) : nil]
        case .mul: return [wanted[0] ? try b.mul(g, c) : nil, wanted[1] ? try b.mul(g, a) : nil]
        case .div:
            return [wanted[0] ? try b.div(g, c) : nil, wanted[1] ? try b.neg(b.div(b.mul(g, y), c)) : nil]
        case .max, .min:
            let firstWins = try b.compare(a, function == .max ? .ge : .le, c)
            let zero = try zeros(like: g)
            return [wanted[0] ? try b.select(firstWins, g, zero) : nil, wanted[1] ? try b.select(firstWins, zero, g) : nil]
        case .pow:
            let da = wanted[0] ? try b.mul(g, b.mul(c, b.binary(.pow, a, b.sub(c, constant(1, like: c))))) : nil
            let dc = wanted[1] ? try b.mul(g, b.mul(y, b.log(a))) : nil
            return [da, dc]
        }
    }

    // MARK: Helpers

    func constant(_ value: Double, like x: Value) throws(KIRError) -> Value { try builder.constant(value, builder.type(of: x)) }

    func zeros(like x: Value) throws(KIRError) -> Value { try constant(0, like: x) }

    /// The last two axes swapped.
    func transposed(_ x: Value) throws(KIRError) -> Value {
        let rank = builder.type(of: x).rank
        return try builder.permute(x, Array(0..<(rank - 2)) + [rank - 1, rank - 2])
    }

    /// `g` summed over the axes a numpy broadcast from `shape` added or stretched, then reshaped to `shape`.
    func unbroadcast(_ g: Value, to shape: Shape) throws(KIRError) -> Value {
        let gradientShape = builder.type(of: g).shape
        guard gradientShape != shape else { return g }
        let offset = gradientShape.rank - shape.rank
        let axes = (0..<gradientShape.rank).filter { axis in
            axis < offset || (shape[axis - offset] == 1 && gradientShape[axis] != 1)
        }
        let summed = axes.isEmpty ? g : try builder.reduce(.sum, g, over: axes)
        return try builder.reshape(summed, to: shape)
    }

    /// The adjoint of a strided slice: `g`'s elements placed at `start + i * stride` in zeros of `shape`.
    func scatterSlice(_ g: Value, into shape: Shape, start: [Int], stride: [Int]) throws(KIRError) -> Value {
        var current = g
        for axis in 0..<shape.rank where stride[axis] > 1 {
            current = try dilate(current, axis: axis, by: stride[axis])
        }
        let extent = builder.type(of: current).shape
        let high = (0..<shape.rank).map { shape[$0] - start[$0] - extent[$0] }
        return try builder.pad(current, low: start, high: high)
    }

    /// `x` with `factor - 1` zeros between neighbours along `axis` (length `(n - 1) * factor + 1`).
    func dilate(_ x: Value, axis: Int, by factor: Int) throws(KIRError) -> Value {
        let shape = builder.type(of: x).shape
        let length = shape[axis]
        guard factor > 1, length > 1 else { return x }
        var expanded = shape.dimensions
        expanded.insert(1, at: axis + 1)
        var high = [Int](repeating: 0, count: expanded.count)
        high[axis + 1] = factor - 1
        let padded = try builder.pad(builder.reshape(x, to: Shape(expanded)), low: [Int](repeating: 0, count: expanded.count), high: high)
        var flat = shape.dimensions
        flat[axis] = length * factor
        let spread = try builder.reshape(padded, to: Shape(flat))
        var limit = flat
        limit[axis] = (length - 1) * factor + 1
        return try builder.slice(spread, start: [Int](repeating: 0, count: flat.count), limit: limit)
    }
}
