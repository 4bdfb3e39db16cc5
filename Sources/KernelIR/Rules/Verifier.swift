/// Checks that a graph is well formed: SSA order, unique names, and every instruction typed as its
/// shape rule says. The parser and builder already type each instruction; the verifier is for
/// graphs that passes and transforms rewrite, and adds the graph-wide checks.
public enum Verifier {
    /// Verifies every function of `module`.
    /// - Throws: the first ``KIRError`` found.
    public static func verify(_ module: Module) throws(KIRError) {
        var names: Set<String> = []
        for function in module.functions {
            guard names.insert(function.name).inserted else { throw .duplicateFunction(function.name, at: function.location) }
            try verify(function)
        }
    }

    /// Verifies one function.
    /// - Throws: ``KIRError/malformedGraph(function:reason:)`` for a use before definition or a
    ///   dangling result, ``KIRError/redefinedValue(_:at:)`` for a repeated name, and the shape
    ///   rule's error or ``KIRError/resultTypeMismatch(_:declared:inferred:)`` for a mistyped instruction.
    public static func verify(_ graph: Graph) throws(KIRError) {
        var names: Set<String> = []
        for parameter in graph.parameters {
            guard names.insert(parameter.name).inserted else { throw .redefinedValue(parameter.name, at: graph.location) }
        }
        for (position, instruction) in graph.instructions.enumerated() {
            let defined = graph.value(ofInstructionAt: position)
            let site = Site(op: instruction.op.mnemonic, value: instruction.name, location: instruction.location)
            for operand in instruction.operands where operand.index < 0 || operand.index >= defined.index {
                throw .malformedGraph(function: graph.name,
                                      reason: "%\(instruction.name) uses value #\(operand.index), which is not defined before it")
            }
            let inferred = try ShapeRules.resultType(of: instruction.op, operands: instruction.operands.map(graph.type(of:)), at: site)
            guard inferred == instruction.type else {
                throw .resultTypeMismatch(site, declared: instruction.type, inferred: inferred)
            }
            guard names.insert(instruction.name).inserted else { throw .redefinedValue(instruction.name, at: instruction.location) }
        }
        for result in graph.results where result.index < 0 || result.index >= graph.valueCount {
            throw .malformedGraph(function: graph.name, reason: "returns value #\(result.index), which the function does not define")
        }
    }
}
