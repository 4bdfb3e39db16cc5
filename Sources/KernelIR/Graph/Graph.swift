/// A reference to an SSA value of a ``Graph``: a parameter (indices `0..<parameters.count`)
/// or the result of an instruction (the indices that follow, in order).
public struct Value: Hashable, Sendable, Comparable {
    /// The value's position in the graph's numbering.
    public let index: Int

    /// Creates a reference; only meaningful for the graph that numbered it.
    public init(index: Int) { self.index = index }

    public static func < (lhs: Value, rhs: Value) -> Bool { lhs.index < rhs.index }
}

/// A function parameter: a named input of a fixed type.
public struct Parameter: Hashable, Sendable {
    /// The SSA name, without the `%`.
    public var name: String
    /// The parameter's type.
    public var type: TensorType

    /// Creates a parameter.
    public init(name: String, type: TensorType) {
        self.name = name
        self.type = type
    }
}

/// One SSA definition: `%name = op(operands) : type`.
///
/// Equality and hashing ignore ``location``, so a graph parsed from text equals the graph it was printed from.
public struct Instruction: Hashable, Sendable {
    /// The primitive and its attributes.
    public var op: Op
    /// The operands, each defined earlier in the graph.
    public var operands: [Value]
    /// The result type, as the shape rules infer it.
    public var type: TensorType
    /// The SSA name of the result, without the `%`.
    public var name: String
    /// Where the instruction was written, for diagnostics.
    public var location: SourceLocation

    /// Creates an instruction.
    public init(op: Op, operands: [Value], type: TensorType, name: String, location: SourceLocation = .generated) {
        self.op = op
        self.operands = operands
        self.type = type
        self.name = name
        self.location = location
    }

    public static func == (lhs: Instruction, rhs: Instruction) -> Bool {
        lhs.op == rhs.op && lhs.operands == rhs.operands && lhs.type == rhs.type && lhs.name == rhs.name
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(op)
        hasher.combine(operands)
        hasher.combine(type)
        hasher.combine(name)
    }
}

/// An SSA function over statically shaped tensors: parameters, instructions in definition order,
/// and the values it returns.
public struct Graph: Hashable, Sendable {
    /// The function's name, without the `@`.
    public var name: String
    /// The inputs, in call order.
    public var parameters: [Parameter]
    /// The definitions, each using only parameters and earlier results.
    public var instructions: [Instruction]
    /// The returned values, in order.
    public var results: [Value]
    /// Where the function was written, for diagnostics.
    public var location: SourceLocation
    /// The `//` comment block written above the function, without the slashes; printed back.
    public var documentation: String = ""

    /// Creates a graph; ``Verifier`` checks that it is well formed.
    public init(name: String, parameters: [Parameter], instructions: [Instruction], results: [Value],
                location: SourceLocation = .generated) {
        self.name = name
        self.parameters = parameters
        self.instructions = instructions
        self.results = results
        self.location = location
    }

    public static func == (lhs: Graph, rhs: Graph) -> Bool {
        lhs.name == rhs.name && lhs.parameters == rhs.parameters && lhs.documentation == rhs.documentation
            && lhs.instructions == rhs.instructions && lhs.results == rhs.results
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(parameters)
        hasher.combine(instructions)
        hasher.combine(results)
    }

    /// The number of values the graph defines: parameters plus instructions.
    public var valueCount: Int { parameters.count + instructions.count }

    /// The instruction defining `value`, or `nil` for a parameter.
    public func instruction(defining value: Value) -> Instruction? {
        value.index < parameters.count ? nil : instructions[value.index - parameters.count]
    }

    /// The type of `value`.
    public func type(of value: Value) -> TensorType {
        instruction(defining: value)?.type ?? parameters[value.index].type
    }

    /// The SSA name of `value`, without the `%`.
    public func name(of value: Value) -> String {
        instruction(defining: value)?.name ?? parameters[value.index].name
    }

    /// The value an instruction at `position` defines.
    public func value(ofInstructionAt position: Int) -> Value { Value(index: parameters.count + position) }

    /// The types of the results, in order.
    public var resultTypes: [TensorType] { results.map(type(of:)) }
}

/// The functions of one `.kir` file, in the order they were written.
public struct Module: Hashable, Sendable {
    /// The functions; names are unique.
    public var functions: [Graph]

    /// Creates a module.
    public init(functions: [Graph]) { self.functions = functions }

    /// The function named `name`, if any.
    public func function(named name: String) -> Graph? { functions.first { $0.name == name } }
}
