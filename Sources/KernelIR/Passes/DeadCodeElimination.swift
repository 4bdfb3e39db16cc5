/// Removes every instruction whose value no result depends on.
///
/// Every op is pure, `random` included (its numbers are a function of its `seed` attribute and the
/// element index), so an unused value can always go. Parameters stay even when unused: they are the
/// function's signature.
public struct DeadCodeElimination: GraphPass {
    /// Creates the pass.
    public init() {}

    /// `dce`.
    public var name: String { "dce" }

    /// The graph without its dead instructions; the others keep their order and names.
    public func run(_ graph: Graph) -> Graph {
        var isLive = [Bool](repeating: false, count: graph.valueCount)
        for result in graph.results { isLive[result.index] = true }
        var liveNames: Set<String> = []
        for position in graph.instructions.indices.reversed() where isLive[graph.value(ofInstructionAt: position).index] {
            liveNames.insert(graph.instructions[position].name)
            for operand in graph.instructions[position].operands { isLive[operand.index] = true }
        }
        // Names are unique in a graph that verifies, so they identify the live instructions.
        return GraphRewriter.rewriting(graph) { rewriter, instruction in
            liveNames.contains(instruction.name) ? rewriter.append(instruction) : nil
        }
    }
}
