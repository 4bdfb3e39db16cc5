/// A rewrite of a ``Graph`` that keeps its meaning: the same parameters, results of the same types, and,
/// for every input, the same result bits under the ``Interpreter`` (the one documented exception is
/// ``AlgebraicSimplification``'s `x + 0.0`, which may turn a `+0.0` result into `-0.0`).
///
/// A pass is a pure function. Its output numbers values densely (parameters first, then instructions
/// in order), keeps the name of every value that survives, keeps the function's name and documentation,
/// and verifies with ``Verifier/verify(_:)-(Graph)`` whenever its input does. Passes compose through
/// ``PassPipeline``.
public protocol GraphPass: Sendable {
    /// A short name for logs and listings, e.g. `dce`.
    var name: String { get }

    /// The rewritten graph.
    ///
    /// `graph` must verify: passes index values without re-checking them. ``PassPipeline/run(_:)``
    /// verifies its input first and throws for one that does not.
    func run(_ graph: Graph) -> Graph
}
