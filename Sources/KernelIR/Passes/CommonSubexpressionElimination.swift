/// Merges instructions that compute the same thing: the same ``Op`` (attributes included) on the same
/// operands. The first one is kept, with its name, and later uses of the others read it.
///
/// Every op is pure, so equal expressions have equal values; two `random` ops with one seed and type
/// give the same numbers and merge too. Floating-point attributes (a `constant`'s literal, a `pad`
/// value) must match bit for bit, so `0.0` and `-0.0` stay apart; an attribute that is NaN never
/// matches, and such an instruction is left alone.
public struct CommonSubexpressionElimination: GraphPass {
    /// Creates the pass.
    public init() {}

    /// `cse`.
    public var name: String { "cse" }

    /// The graph with every repeated expression replaced by its first occurrence. Operands are
    /// compared after earlier merges, so whole repeated subtrees merge in one run.
    public func run(_ graph: Graph) -> Graph {
        var firstOccurrence: [Expression: Value] = [:]
        return GraphRewriter.rewriting(graph) { rewriter, instruction in
            let expression = Expression(instruction)
            if let value = firstOccurrence[expression] { return value }
            let value = rewriter.append(instruction)
            firstOccurrence[expression] = value
            return value
        }
    }
}

/// What an instruction computes, as CSE compares it: `Op`'s `==` compares `Double` attributes by
/// value, so the attributes' bit patterns are compared as well.
private struct Expression: Hashable {
    let op: Op
    let operands: [Value]
    let type: TensorType
    let floatingPointBits: [UInt64]

    init(_ instruction: Instruction) {
        op = instruction.op
        operands = instruction.operands
        type = instruction.type
        floatingPointBits = instruction.op.floatingPointAttributes.map(\.bitPattern)
    }
}

extension Op {
    /// The op's `Double` attributes: a `constant`'s literal and a `pad` value.
    var floatingPointAttributes: [Double] {
        switch self {
        case let .pad(_, _, value):
            return [value]
        case let .constant(literal, _):
            switch literal {
            case let .splat(value): return [value]
            case let .elements(values): return values
            }
        case .unary, .binary, .compare, .select, .cast, .broadcast, .reshape, .stopGradient, .permute, .reverse, .slice, .concat, .reduce,
             .matmul, .convolution, .iota, .random:
            return []
        }
    }
}
