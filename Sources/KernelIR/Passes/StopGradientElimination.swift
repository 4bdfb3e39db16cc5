/// Replaces every `stop_gradient` by its operand: the op means something to differentiation only,
/// so once gradients are built (``Gradient``) it is an identity, and scheduling removes it before
/// any backend sees a kernel.
public struct StopGradientElimination: GraphPass {
    /// Creates the pass.
    public init() {}

    /// `stop-gradient`.
    public var name: String { "stop-gradient" }

    /// The graph with each `stop_gradient` value forwarded to its operand.
    public func run(_ graph: Graph) -> Graph {
        guard graph.instructions.contains(where: { $0.op == .stopGradient }) else { return graph }
        return GraphRewriter.rewriting(graph) { rewriter, instruction in
            instruction.op == .stopGradient ? instruction.operands[0] : rewriter.append(instruction)
        }
    }
}
