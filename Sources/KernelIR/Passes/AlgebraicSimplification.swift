/// Rewrites instructions into simpler equivalents using algebraic identities and the shapes of data
/// movement; the instructions it bypasses become dead and ``DeadCodeElimination`` removes them.
///
/// The rewrites, where `1` and `0` are splat constants (possibly broadcast, reshaped, permuted or
/// sliced), compared after rounding to the dtype:
/// - `x * 1`, `1 * x`, `x / 1` → `x`; `x + 0`, `0 + x`, `x - 0` → `x` (see below for the sign of zero);
/// - `select(c, x, x)` → `x`, and `select` with a splat condition → the branch it picks;
/// - `cast` to `x`'s own dtype, `broadcast` or `reshape` to `x`'s own shape, an identity `permute` → `x`;
/// - `reshape(reshape(x))` → one `reshape`; `permute(permute(x))` → one `permute` with the composed
///   permutation (or `x` when it is the identity); `broadcast(broadcast(x))` → one `broadcast`;
/// - `broadcast` of a splat constant → a splat constant of the broadcast type;
/// - a `constant` listing one value repeated (bit for bit) → a `.splat`.
///
/// **Floating point.** `x * 1`, `x / 1`, `x + (-0.0)` and `x - 0.0` equal `x` for every `x`, NaN,
/// infinities and `-0.0` included, so they are always rewritten. `x + 0.0` (and `x - (-0.0)`) differs
/// from `x` in one case: for `x = -0.0` it gives `+0.0`. By default it is rewritten anyway, as XLA's
/// algebraic simplifier does: the sign of a zero is visible only through a later division by it (or
/// `recip`, `log`, `pow`), and `zeros + x` (a gradient accumulator's first step) is common enough to
/// matter. Set ``preservesSignOfZero`` to keep those additions and make every rewrite bit-exact.
/// `i32` zero has no sign, so integer `x + 0` is always rewritten.
public struct AlgebraicSimplification: GraphPass {
    /// Whether to keep `x + 0.0` and `x - (-0.0)` on floating-point values, which turn `x = -0.0` into
    /// `+0.0`; when `false` (the default, as in XLA) they become `x`.
    public var preservesSignOfZero: Bool

    /// Creates the pass; see ``preservesSignOfZero`` for the one choice it offers.
    public init(preservesSignOfZero: Bool = false) {
        self.preservesSignOfZero = preservesSignOfZero
    }

    /// `simplify`.
    public var name: String { "simplify" }

    /// The graph with every rule applied once per instruction, in order, so chains such as
    /// `reshape(reshape(reshape(x)))` collapse in one run. A rewritten instruction keeps its name.
    public func run(_ graph: Graph) -> Graph {
        GraphRewriter.rewriting(graph) { rewriter, instruction in
            switch simplification(of: instruction, in: rewriter) {
            case nil:
                return rewriter.append(instruction)
            case let .value(value):
                return value
            case let .instruction(op, operands):
                return rewriter.append(instruction.replaced(by: op, operands))
            }
        }
    }

    /// What an instruction simplifies to, or `nil` when no rule applies.
    private func simplification(of instruction: Instruction, in rewriter: GraphRewriter) -> Simplification? {
        let operands = instruction.operands
        switch instruction.op {
        case let .binary(function):
            return simplification(of: function, operands[0], operands[1], in: rewriter)
        case .select:
            if operands[1] == operands[2] { return .value(operands[1]) }
            return rewriter.splatConstant(operands[0]).map { .value($0.holds(0) ? operands[2] : operands[1]) }
        case let .cast(dtype):
            return rewriter.type(of: operands[0]).dtype == dtype ? .value(operands[0]) : nil
        case let .broadcast(shape):
            if rewriter.type(of: operands[0]).shape == shape { return .value(operands[0]) }
            if let splat = rewriter.splatConstant(operands[0]) {
                return .instruction(.constant(.splat(splat.literal), type: instruction.type), [])
            }
            guard let inner = rewriter.definition(of: operands[0]), case .broadcast = inner.op else { return nil }
            // Numpy broadcasts compose: every dimension of the inner operand is 1 or already the final one.
            return .instruction(.broadcast(to: shape), inner.operands)
        case let .reshape(shape):
            var source = operands[0]
            if let inner = rewriter.definition(of: source), case .reshape = inner.op { source = inner.operands[0] }
            if rewriter.type(of: source).shape == shape { return .value(source) }
            return source == operands[0] ? nil : .instruction(.reshape(to: shape), [source])
        case let .permute(permutation):
            var (source, composed) = (operands[0], permutation)
            if let inner = rewriter.definition(of: source), case let .permute(first) = inner.op {
                // Result axis i is the middle value's axis permutation[i], which is the source's first[permutation[i]].
                (source, composed) = (inner.operands[0], permutation.map { first[$0] })
            }
            if composed == Array(composed.indices) { return .value(source) }
            return source == operands[0] ? nil : .instruction(.permute(composed), [source])
        case let .constant(literal, type):
            guard case .elements = literal, let value = literal.repeatedValue else { return nil }
            return .instruction(.constant(.splat(value), type: type), [])
        case .unary, .compare, .reverse, .slice, .concat, .pad, .reduce, .matmul, .convolution, .iota, .random, .stopGradient:
            return nil
        }
    }

    /// The identities of `x * 1`, `x / 1`, `x + 0` and `x - 0`.
    private func simplification(of function: BinaryFunction, _ a: Value, _ b: Value,
                                in rewriter: GraphRewriter) -> Simplification? {
        let (left, right) = (rewriter.splatConstant(a), rewriter.splatConstant(b))
        switch function {
        case .mul:
            if right?.holds(1) == true { return .value(a) }
            if left?.holds(1) == true { return .value(b) }
        case .div:
            if right?.holds(1) == true { return .value(a) }
        case .add:
            if let right, leavesUnchanged(adding: right, negated: false) { return .value(a) }
            if let left, leavesUnchanged(adding: left, negated: false) { return .value(b) }
        case .sub:
            if let right, leavesUnchanged(adding: right, negated: true) { return .value(a) }
        case .max, .min, .pow:
            break
        }
        return nil
    }

    /// Whether adding `constant` (its negation, when `negated`) gives back every `x`, under the
    /// sign-of-zero policy.
    private func leavesUnchanged(adding constant: SplatConstant, negated: Bool) -> Bool {
        let scalar = constant.scalar
        guard scalar == 0 else { return false }
        guard constant.dtype.isFloatingPoint, preservesSignOfZero else { return true }
        // x + (-0.0) is x for every x; x + (+0.0) turns -0.0 into +0.0.
        let addsNegativeZero = (scalar.sign == .minus) != negated
        return addsNegativeZero
    }
}

/// What a rule replaces an instruction with.
private enum Simplification {
    /// An existing value of the new graph.
    case value(Value)
    /// A new instruction with the old one's name and type.
    case instruction(Op, [Value])
}
