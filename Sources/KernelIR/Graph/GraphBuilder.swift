/// Builds a ``Graph`` one SSA definition at a time, typing each with ``ShapeRules`` as it goes.
///
/// A class so that calls nest (`builder.exp(builder.neg(x))`); it is a scratchpad owned by one
/// thread, not shared. Methods throw the same located ``KIRError``s the parser does, at
/// ``SourceLocation/generated``.
public final class GraphBuilder {
    private let name: String
    private var parameters: [Parameter] = []
    private var instructions: [Instruction] = []
    private var names: Set<String> = []

    /// Starts an empty function called `name`.
    public init(name: String) { self.name = name }

    /// Adds a parameter of `type`; parameters must come before the first instruction.
    public func parameter(_ type: TensorType, name: String? = nil) -> Value {
        precondition(instructions.isEmpty, "GraphBuilder: parameters must be added before instructions")
        parameters.append(Parameter(name: uniqueName(name), type: type))
        return Value(index: parameters.count - 1)
    }

    /// The type of a value defined so far.
    public func type(of value: Value) -> TensorType {
        value.index < parameters.count ? parameters[value.index].type : instructions[value.index - parameters.count].type
    }

    /// Appends `op` applied to `operands` and returns its result.
    /// - Throws: the shape rule's ``KIRError`` when the operands do not fit the op.
    @discardableResult
    public func emit(_ op: Op, _ operands: [Value], name: String? = nil) throws(KIRError) -> Value {
        let valueName = uniqueName(name)
        let site = Site(op: op.mnemonic, value: valueName, location: .generated)
        let type = try ShapeRules.resultType(of: op, operands: operands.map(type(of:)), at: site)
        instructions.append(Instruction(op: op, operands: operands, type: type, name: valueName))
        return Value(index: parameters.count + instructions.count - 1)
    }

    /// The finished function returning `results`.
    public func build(returning results: [Value]) -> Graph {
        Graph(name: name, parameters: parameters, instructions: instructions, results: results)
    }

    private func uniqueName(_ requested: String?) -> String {
        var candidate = requested ?? String(parameters.count + instructions.count)
        var suffix = 1
        while names.contains(candidate) {
            candidate = (requested ?? "v") + "_\(suffix)"
            suffix += 1
        }
        names.insert(candidate)
        return candidate
    }
}

// MARK: - One method per primitive

extension GraphBuilder {
    /// `function(x)`, elementwise.
    public func unary(_ function: UnaryFunction, _ x: Value) throws(KIRError) -> Value { try emit(.unary(function), [x]) }
    /// `function(a, b)`, elementwise on operands of one type.
    public func binary(_ function: BinaryFunction, _ a: Value, _ b: Value) throws(KIRError) -> Value { try emit(.binary(function), [a, b]) }

    public func neg(_ x: Value) throws(KIRError) -> Value { try unary(.neg, x) }
    public func exp(_ x: Value) throws(KIRError) -> Value { try unary(.exp, x) }
    public func log(_ x: Value) throws(KIRError) -> Value { try unary(.log, x) }
    public func sqrt(_ x: Value) throws(KIRError) -> Value { try unary(.sqrt, x) }
    public func rsqrt(_ x: Value) throws(KIRError) -> Value { try unary(.rsqrt, x) }
    public func tanh(_ x: Value) throws(KIRError) -> Value { try unary(.tanh, x) }
    public func sigmoid(_ x: Value) throws(KIRError) -> Value { try unary(.sigmoid, x) }
    public func add(_ a: Value, _ b: Value) throws(KIRError) -> Value { try binary(.add, a, b) }
    public func sub(_ a: Value, _ b: Value) throws(KIRError) -> Value { try binary(.sub, a, b) }
    public func mul(_ a: Value, _ b: Value) throws(KIRError) -> Value { try binary(.mul, a, b) }
    public func div(_ a: Value, _ b: Value) throws(KIRError) -> Value { try binary(.div, a, b) }
    public func max(_ a: Value, _ b: Value) throws(KIRError) -> Value { try binary(.max, a, b) }
    public func min(_ a: Value, _ b: Value) throws(KIRError) -> Value { try binary(.min, a, b) }

    /// `a <comparison> b`, elementwise, as `bool`.
    public func compare(_ a: Value, _ comparison: Comparison, _ b: Value) throws(KIRError) -> Value {
        try emit(.compare(comparison), [a, b])
    }

    /// `condition ? onTrue : onFalse`, elementwise.
    public func select(_ condition: Value, _ onTrue: Value, _ onFalse: Value) throws(KIRError) -> Value {
        try emit(.select, [condition, onTrue, onFalse])
    }

    /// `x` converted to `dtype`.
    public func cast(_ x: Value, to dtype: DType) throws(KIRError) -> Value { try emit(.cast(to: dtype), [x]) }

    /// `x` broadcast numpy-style to `shape`.
    public func broadcast(_ x: Value, to shape: Shape) throws(KIRError) -> Value { try emit(.broadcast(to: shape), [x]) }

    /// `x`'s elements in `shape`.
    public func reshape(_ x: Value, to shape: Shape) throws(KIRError) -> Value { try emit(.reshape(to: shape), [x]) }

    /// `x`, through which no gradient flows back (``Op/stopGradient``).
    public func stopGradient(_ x: Value) throws(KIRError) -> Value { try emit(.stopGradient, [x]) }

    /// `x` with its axes reordered.
    public func permute(_ x: Value, _ permutation: [Int]) throws(KIRError) -> Value { try emit(.permute(permutation), [x]) }

    /// `x` flipped along `axes`.
    public func reverse(_ x: Value, axes: [Int]) throws(KIRError) -> Value { try emit(.reverse(axes: axes), [x]) }

    /// A strided window of `x`; `stride` defaults to 1 on every axis.
    public func slice(_ x: Value, start: [Int], limit: [Int], stride: [Int]? = nil) throws(KIRError) -> Value {
        try emit(.slice(start: start, limit: limit, stride: stride ?? start.map { _ in 1 }), [x])
    }

    /// `values` joined along `axis`.
    public func concat(_ values: [Value], axis: Int) throws(KIRError) -> Value { try emit(.concat(axis: axis), values) }

    /// `x` padded with `value`.
    public func pad(_ x: Value, low: [Int], high: [Int], value: Double = 0) throws(KIRError) -> Value {
        try emit(.pad(low: low, high: high, value: value), [x])
    }

    /// A reduction of `x` over `axes`.
    public func reduce(_ kind: ReduceKind, _ x: Value, over axes: [Int], keepingDimensions: Bool = false) throws(KIRError) -> Value {
        try emit(.reduce(kind, axes: axes, keepsDimensions: keepingDimensions), [x])
    }

    /// The batched matrix product `a x b`.
    public func matmul(_ a: Value, _ b: Value) throws(KIRError) -> Value { try emit(.matmul, [a, b]) }

    /// The channels-last convolution of `input` with `filter`.
    public func convolution(_ input: Value, _ filter: Value, _ attributes: Convolution) throws(KIRError) -> Value {
        try emit(.convolution(attributes), [input, filter])
    }

    /// `0, 1, 2, ...` along `axis` of a new tensor of `type`.
    public func iota(_ type: TensorType, axis: Int) throws(KIRError) -> Value { try emit(.iota(axis: axis, type: type), []) }

    /// A tensor of `type` filled with `value`.
    public func constant(_ value: Double, _ type: TensorType) throws(KIRError) -> Value {
        try emit(.constant(.splat(value), type: type), [])
    }

    /// A tensor of `type` holding `values` in row-major order.
    public func constant(_ values: [Double], _ type: TensorType) throws(KIRError) -> Value {
        try emit(.constant(.elements(values), type: type), [])
    }

    /// Seeded counter-based random numbers of `type`.
    public func random(_ distribution: Distribution, _ type: TensorType, seed: Int) throws(KIRError) -> Value {
        try emit(.random(distribution, seed: seed, type: type), [])
    }
}
