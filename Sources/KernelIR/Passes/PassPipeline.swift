/// An ordered list of passes run again and again until the graph stops changing.
///
/// ``standard`` is what compiling a graph runs: simplification exposes constants and dead values,
/// folding turns constant subtrees into literals, CSE merges what the first two made identical, and
/// DCE removes what all of them left unused. One pass can enable another (a folded product of
/// constants may be `1`, a simplified operand may make two instructions equal), hence the repetition.
public struct PassPipeline: Sendable {
    /// The passes of one round, in order.
    public var passes: [any GraphPass]
    /// The most rounds run; the result of the last is returned even if it could change further.
    public var maximumIterations: Int

    /// Creates a pipeline running `passes` in order, at most `maximumIterations` rounds.
    public init(_ passes: [any GraphPass], maximumIterations: Int = 10) {
        self.passes = passes
        self.maximumIterations = maximumIterations
    }

    /// Simplification, constant folding, CSE and DCE, with their default settings.
    public static let standard = PassPipeline([
        AlgebraicSimplification(), ConstantFolding(), CommonSubexpressionElimination(), DeadCodeElimination(),
    ])

    /// The graph after rounds of ``passes`` until one changes nothing (its canonical text is unchanged)
    /// or ``maximumIterations`` rounds have run.
    /// - Throws: the ``KIRError`` ``Verifier/verify(_:)-(Graph)`` throws when `graph` is malformed;
    ///   passes assume a graph that verifies.
    public func run(_ graph: Graph) throws(KIRError) -> Graph {
        try Verifier.verify(graph)
        var current = graph
        var currentText = graph.text
        for _ in 0..<maximumIterations {
            let next = passes.reduce(current) { graph, pass in pass.run(graph) }
            // Text rather than `==`, which treats -0.0 as 0.0 and a NaN literal as unequal to itself.
            let nextText = next.text
            if nextText == currentText { return next }
            (current, currentText) = (next, nextText)
        }
        return current
    }
}

extension Graph {
    /// The graph after ``PassPipeline/standard``: simplified, folded, with common subexpressions merged
    /// and dead code removed. Results are the same bits under the ``Interpreter``, but for the sign of a
    /// zero ``AlgebraicSimplification`` documents.
    /// - Throws: the ``KIRError`` ``Verifier/verify(_:)-(Graph)`` throws when the graph is malformed.
    public func optimized() throws(KIRError) -> Graph {
        try PassPipeline.standard.run(self)
    }
}
