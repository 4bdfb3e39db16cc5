/// Builds the rewritten copy of a graph one source instruction at a time, numbering the new values
/// densely as they are appended. Every pass is written on it.
///
/// A rule sees each source instruction with its operands already renamed into the new graph, and
/// answers with the new value that stands for it: one it appends, one defined earlier (a forwarded
/// operand, a merged duplicate), or `nil` when the value is dropped because no result depends on it.
/// An instruction reading a dropped value is dropped without consulting the rule.
struct GraphRewriter {
    /// The graph being rewritten.
    let source: Graph
    /// The new graph's instructions so far; their operands are new values.
    private(set) var instructions: [Instruction] = []
    /// For each source value handled so far, the new value standing for it, or `nil` if dropped.
    private var replacements: [Value?]
    /// The source value of the instruction the rule is looking at.
    private(set) var sourceValue = Value(index: 0)

    private init(source: Graph) {
        self.source = source
        replacements = source.parameters.indices.map(Value.init(index:))
        instructions.reserveCapacity(source.instructions.count)
    }

    /// Rewrites `graph` by applying `rule` to each instruction in order; see the type's documentation.
    static func rewriting(_ graph: Graph, _ rule: (inout GraphRewriter, Instruction) -> Value?) -> Graph {
        var rewriter = GraphRewriter(source: graph)
        for (position, instruction) in graph.instructions.enumerated() {
            rewriter.sourceValue = Value(index: graph.parameters.count + position)
            let operands = instruction.operands.compactMap { rewriter.replacements[$0.index] }
            guard operands.count == instruction.operands.count else {
                // It reads a dropped value, so no result depends on it either.
                rewriter.replacements.append(nil)
                continue
            }
            var renamed = instruction
            renamed.operands = operands
            rewriter.replacements.append(rule(&rewriter, renamed))
        }
        var result = Graph(name: graph.name, parameters: graph.parameters, instructions: rewriter.instructions,
                           results: graph.results.map(rewriter.replacement(for:)), location: graph.location)
        result.documentation = graph.documentation
        return result
    }

    /// The new value standing for a source value handled so far, or `nil` when it was dropped.
    func newValue(for value: Value) -> Value? { replacements[value.index] }

    /// The new value standing for a source value; results must not have been dropped.
    private func replacement(for value: Value) -> Value {
        guard let replacement = replacements[value.index] else {
            preconditionFailure("GraphRewriter: %\(source.name(of: value)) was dropped but is returned")
        }
        return replacement
    }

    /// Appends `instruction`, whose operands are new values, and returns the value it defines.
    mutating func append(_ instruction: Instruction) -> Value {
        instructions.append(instruction)
        return Value(index: source.parameters.count + instructions.count - 1)
    }

    /// The instruction defining a new value, or `nil` for a parameter.
    func definition(of value: Value) -> Instruction? {
        value.index < source.parameters.count ? nil : instructions[value.index - source.parameters.count]
    }

    /// The type of a new value.
    func type(of value: Value) -> TensorType {
        definition(of: value)?.type ?? source.parameters[value.index].type
    }
}

extension Instruction {
    /// This instruction's name and location on another op and operands, of the same result type:
    /// how a rewrite keeps a surviving value's name.
    func replaced(by op: Op, _ operands: [Value]) -> Instruction {
        Instruction(op: op, operands: operands, type: type, name: name, location: location)
    }
}
