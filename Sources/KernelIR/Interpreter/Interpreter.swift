/// The reference interpreter: the definition of every op's meaning and the numerical oracle every
/// backend is compared with. Written for clarity, not speed.
///
/// Every result is computed in `Double` and then rounded once to its dtype (round to nearest even,
/// gradual underflow, overflow to infinity), so `f16` and `bf16` results are exactly what an
/// IEEE device storing that dtype would hold for one op. `i32` arithmetic wraps; `i32` division
/// truncates toward zero and defines `x / 0 = 0`.
public struct Interpreter: Sendable {
    /// How floating-point results are stored between ops.
    public enum Precision: Sendable {
        /// Round every result to its dtype: the semantics of the IR.
        case native
        /// Keep every floating result in `Double`, for finite-difference gradient checks.
        case float64
    }

    /// How results are stored between ops.
    public var precision: Precision
    /// The largest tensor the interpreter will materialise, in elements.
    public var elementLimit: Int

    /// Creates an interpreter.
    public init(precision: Precision = .native, elementLimit: Int = 1 << 26) {
        self.precision = precision
        self.elementLimit = elementLimit
    }

    /// Runs `graph` on `inputs` and returns its results.
    /// - Throws: ``KIRError/inputMismatch(function:reason:)`` when inputs do not match the parameters,
    ///   ``KIRError/interpreterLimit(value:elements:limit:)`` for a tensor beyond ``elementLimit``.
    public func run(_ graph: Graph, inputs: [TensorValue]) throws(KIRError) -> [TensorValue] {
        guard inputs.count == graph.parameters.count else {
            throw .inputMismatch(function: graph.name, reason: "takes \(graph.parameters.count) inputs, got \(inputs.count)")
        }
        var values: [TensorValue] = []
        values.reserveCapacity(graph.valueCount)
        for (parameter, input) in zip(graph.parameters, inputs) {
            guard parameter.type == input.type else {
                throw .inputMismatch(function: graph.name, reason: "parameter %\(parameter.name) is \(parameter.type), got \(input.type)")
            }
            values.append(input)
        }
        for instruction in graph.instructions {
            guard instruction.type.elementCount <= elementLimit else {
                throw .interpreterLimit(value: instruction.name, elements: instruction.type.elementCount, limit: elementLimit)
            }
            let operands = instruction.operands.map { values[$0.index] }
            values.append(evaluate(instruction.op, operands, type: instruction.type))
        }
        return graph.results.map { values[$0.index] }
    }

    /// Stores `scalars` as values of `type`, rounding as ``precision`` says.
    func store(_ scalars: [Double], _ type: TensorType) -> TensorValue {
        switch (precision, type.dtype) {
        case (.float64, .f32), (.float64, .f16), (.float64, .bf16):
            return TensorValue(type, scalars: scalars)
        case (_, .i32):
            return TensorValue(type, scalars: scalars.map(Self.wrapToInt32))
        case (.native, _), (.float64, _):
            return TensorValue(converting: scalars, to: type)
        }
    }

    /// Two's-complement wrap of an integral `Double` to 32 bits; NaN becomes 0.
    static func wrapToInt32(_ value: Double) -> Double {
        guard value.isFinite else { return DType.i32.converting(value) }
        let wide = Int64(exactly: value.rounded(.towardZero)) ?? (value < 0 ? Int64.min : Int64.max)
        return Double(Int32(truncatingIfNeeded: wide))
    }

    /// The result of one op on operand values, stored as ``precision`` says: the interpreter rule for
    /// each op, shared with the simulated devices, which override matmul, convolution and sums.
    package func evaluate(_ op: Op, _ operands: [TensorValue], type: TensorType) -> TensorValue {
        switch op {
        case let .unary(function):
            return store(operands[0].scalars.map { Self.apply(function, $0, dtype: type.dtype) }, type)
        case let .binary(function):
            return store(zip(operands[0].scalars, operands[1].scalars).map { Self.apply(function, $0, $1, dtype: type.dtype) }, type)
        case let .compare(comparison):
            return store(zip(operands[0].scalars, operands[1].scalars).map { Self.apply(comparison, $0, $1) ? 1 : 0 }, type)
        case .select:
            return store(operands[0].scalars.indices.map { operands[0].scalars[$0] != 0 ? operands[1].scalars[$0] : operands[2].scalars[$0] }, type)
        case .cast:
            if precision == .float64, type.dtype.isFloatingPoint, operands[0].dtype.isFloatingPoint {
                return TensorValue(type, scalars: operands[0].scalars)
            }
            return TensorValue(converting: operands[0].scalars, to: type)
        case .broadcast:
            return store(Layout.broadcast(operands[0], to: type.shape), type)
        case .reshape, .stopGradient:
            return store(operands[0].scalars, type)
        case let .permute(permutation):
            return store(Layout.permute(operands[0], permutation), type)
        case let .reverse(axes):
            return store(Layout.reverse(operands[0], axes: axes), type)
        case let .slice(start, _, stride):
            return store(Layout.slice(operands[0], start: start, stride: stride, to: type.shape), type)
        case let .concat(axis):
            return store(Layout.concat(operands, axis: axis, to: type.shape), type)
        case let .pad(low, _, value):
            return store(Layout.pad(operands[0], low: low, value: value, to: type.shape), type)
        case let .reduce(kind, axes, _):
            return store(Reduction.reduce(operands[0], kind, axes: axes), type)
        case .matmul:
            return store(Contraction.matmul(operands[0], operands[1], to: type.shape), type)
        case let .convolution(attributes):
            return store(Contraction.convolution(operands[0], operands[1], attributes, to: type.shape), type)
        case let .iota(axis, _):
            let strides = type.shape.strides
            return store((0..<type.elementCount).map { Double(($0 / strides[axis]) % type.shape[axis]) }, type)
        case let .constant(literal, _):
            switch literal {
            case let .splat(value): return store([Double](repeating: value, count: type.elementCount), type)
            case let .elements(values): return store(values, type)
            }
        case let .random(distribution, seed, _):
            let generator = Philox(seed: seed)
            return store((0..<type.elementCount).map {
                distribution == .uniform ? generator.uniform(at: $0) : generator.normal(at: $0)
            }, type)
        }
    }
}
