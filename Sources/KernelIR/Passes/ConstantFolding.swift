/// Replaces instructions whose operands are all known by the `constant` they compute, evaluated by the
/// ``Interpreter`` so that a folded graph gives exactly the bits the original does.
///
/// Two kinds of instruction fold:
/// - **Splats, at any size.** An elementwise op (unary, binary, compare, select, cast) whose operands
///   are all splat constants is evaluated on one element, and a broadcast, reshape, permute or slice
///   of a splat is that splat in the new shape. The result is a `.splat`, a few bytes of IR however
///   large the tensor.
/// - **Small tensors.** Any other op whose operands are `constant`s or `iota`s, at least one of them a
///   `constant`, is evaluated in full when its result and every operand hold at most
///   ``maximumElementCount`` elements; the result is a `.splat` when all elements are equal bit for
///   bit, else `.elements`.
///
/// As XLA's constant folding does, some things are left alone: `constant` (already folded), `iota`
/// and `random` on their own (each is a compact generator, cheaper to compute than to store; `random`'s
/// numbers are the device's to produce), ops reading only `iota`s (masks such as `iota < iota` stay
/// computed), and broadcasts of non-splat constants (which would multiply the constant's size).
/// Folding evaluates with the IR's semantics (``Interpreter/Precision/native``): each op's result
/// is rounded to its dtype.
public struct ConstantFolding: GraphPass {
    /// The largest tensor, in elements, that is evaluated in full: bigger results would bloat the IR,
    /// and bigger operands make folding slow.
    public var maximumElementCount: Int

    /// Creates the pass; `maximumElementCount` bounds what is evaluated in full (splats fold at any size).
    public init(maximumElementCount: Int = 4096) {
        self.maximumElementCount = maximumElementCount
    }

    /// `fold`.
    public var name: String { "fold" }

    /// The graph with every foldable instruction replaced by a `constant` of the same name and type.
    /// Instructions fold in order, so chains of them fold in one run; operands left unused are
    /// removed by ``DeadCodeElimination``.
    public func run(_ graph: Graph) -> Graph {
        GraphRewriter.rewriting(graph) { rewriter, instruction in
            guard let literal = foldedLiteral(of: instruction, in: rewriter) else { return rewriter.append(instruction) }
            return rewriter.append(instruction.replaced(by: .constant(literal, type: instruction.type), []))
        }
    }

    private func foldedLiteral(of instruction: Instruction, in rewriter: GraphRewriter) -> Literal? {
        let splats = instruction.operands.compactMap(rewriter.splatConstant)
        let allSplats = splats.count == instruction.operands.count
        switch instruction.op {
        case .constant, .iota, .random:
            return nil
        case .unary, .binary, .compare, .select, .cast:
            guard allSplats else { return evaluatedLiteral(of: instruction, in: rewriter) }
            // Elementwise ops act on each element alone, so one element stands for all of them.
            let operands = splats.map { TensorValue(TensorType($0.dtype, []), scalars: [$0.scalar]) }
            let result = Interpreter().evaluate(instruction.op, operands, type: instruction.type.reshaped(to: []))
            return Literal(scalars: result.scalars, dtype: instruction.type.dtype)
        case .broadcast:
            return splats.first.map { .splat($0.literal) }
        case .reshape, .stopGradient, .permute, .reverse, .slice:
            guard let splat = splats.first else { return evaluatedLiteral(of: instruction, in: rewriter) }
            return .splat(splat.literal)
        case .concat, .pad, .reduce, .matmul, .convolution:
            return evaluatedLiteral(of: instruction, in: rewriter)
        }
    }

    /// The instruction evaluated in full, when its operands are small `constant`s and `iota`s, at least
    /// one a `constant`, and its result is small.
    private func evaluatedLiteral(of instruction: Instruction, in rewriter: GraphRewriter) -> Literal? {
        guard instruction.type.elementCount <= maximumElementCount else { return nil }
        let interpreter = Interpreter()
        var operands: [TensorValue] = []
        var readsConstant = false
        for operand in instruction.operands {
            guard let definition = rewriter.definition(of: operand),
                  definition.type.elementCount <= maximumElementCount else { return nil }
            if case .constant = definition.op {
                readsConstant = true
            } else if case .iota = definition.op {
                // Known, but not enough on its own: see the type's documentation.
            } else {
                return nil
            }
            operands.append(interpreter.evaluate(definition.op, [], type: definition.type))
        }
        guard readsConstant else { return nil }
        let result = interpreter.evaluate(instruction.op, operands, type: instruction.type)
        return Literal(scalars: result.scalars, dtype: instruction.type.dtype)
    }
}
