/// An attribute value as `.kir` writes it: `3`, `0.5`, `bf16`, `true`, `[1, 2]`.
public enum AttributeValue: Hashable, Sendable, CustomStringConvertible {
    case integer(Int)
    case float(Double)
    case word(String)
    case list([AttributeValue])

    public var description: String {
        switch self {
        case let .integer(value): String(value)
        case let .float(value): Self.spell(value)
        case let .word(word): word
        case let .list(items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// The shortest text that parses back to exactly `value` (`1.0`, `1e-06`, `inf`, `nan`).
    static func spell(_ value: Double) -> String {
        value.isNaN ? "nan" : value.description
    }
}

extension Op {
    /// The op's `.kir` name, e.g. `add`, `reduce_max`, `random_normal`.
    public var mnemonic: String {
        switch self {
        case let .unary(function): function.rawValue
        case let .binary(function): function.rawValue
        case let .compare(comparison): comparison.rawValue
        case .select: "select"
        case .cast: "cast"
        case .broadcast: "broadcast"
        case .reshape: "reshape"
        case .stopGradient: "stop_gradient"
        case .permute: "permute"
        case .reverse: "reverse"
        case .slice: "slice"
        case .concat: "concat"
        case .pad: "pad"
        case let .reduce(kind, _, _): "reduce_" + kind.rawValue
        case .matmul: "matmul"
        case .convolution: "conv"
        case .iota: "iota"
        case .constant: "constant"
        case let .random(distribution, _, _): "random_" + distribution.rawValue
        }
    }

    /// Every mnemonic the text format accepts, for parsing and for "did you mean" suggestions.
    public static let mnemonics: [String] =
        UnaryFunction.allCases.map(\.rawValue) + BinaryFunction.allCases.map(\.rawValue)
        + Comparison.allCases.map(\.rawValue)
        + ["select", "cast", "broadcast", "reshape", "stop_gradient", "permute", "reverse", "slice", "concat", "pad"]
        + ReduceKind.allCases.map { "reduce_" + $0.rawValue }
        + ["matmul", "conv", "iota", "constant"] + Distribution.allCases.map { "random_" + $0.rawValue }

    /// The attributes in canonical order, as the printer writes them.
    public var attributes: [(name: String, value: AttributeValue)] {
        func ints(_ values: [Int]) -> AttributeValue { .list(values.map(AttributeValue.integer)) }
        switch self {
        case .unary, .binary, .compare, .select, .matmul, .stopGradient:
            return []
        case let .cast(dtype):
            return [("to", .word(dtype.rawValue))]
        case let .broadcast(shape), let .reshape(shape):
            return [("shape", ints(shape.dimensions))]
        case let .permute(permutation):
            return [("permutation", ints(permutation))]
        case let .reverse(axes):
            return [("axes", ints(axes))]
        case let .slice(start, limit, stride):
            return [("start", ints(start)), ("limit", ints(limit)), ("stride", ints(stride))]
        case let .concat(axis):
            return [("axis", .integer(axis))]
        case let .pad(low, high, value):
            return [("low", ints(low)), ("high", ints(high)), ("value", .float(value))]
        case let .reduce(_, axes, keepsDimensions):
            return [("axes", ints(axes)), ("keep_dims", .word(keepsDimensions ? "true" : "false"))]
        case let .convolution(convolution):
            return [("stride", ints(convolution.stride)), ("padding_low", ints(convolution.paddingLow)),
                    ("padding_high", ints(convolution.paddingHigh)), ("dilation", ints(convolution.dilation)),
                    ("groups", .integer(convolution.groups))]
        case let .iota(axis, _):
            return [("axis", .integer(axis))]
        case let .constant(literal, type):
            switch literal {
            case let .splat(value): return [("value", Self.literalText(value, dtype: type.dtype))]
            case let .elements(values): return [("values", .list(values.map { Self.literalText($0, dtype: type.dtype) }))]
            }
        case let .random(_, seed, _):
            return [("seed", .integer(seed))]
        }
    }

    /// Integers for `i32`, `true`/`false` for `bool`, shortest round-trip decimals for floats.
    private static func literalText(_ value: Double, dtype: DType) -> AttributeValue {
        switch dtype {
        case .i32: .integer(Int(value))
        case .bool: .word(value != 0 ? "true" : "false")
        case .f32, .f16, .bf16: .float(value)
        }
    }

    /// The type an op with no operands creates, which `.kir` writes as the result annotation.
    public var declaredType: TensorType? {
        switch self {
        case let .iota(_, type), let .constant(_, type), let .random(_, _, type): type
        case .unary, .binary, .compare, .select, .cast, .broadcast, .reshape, .stopGradient, .permute, .reverse, .slice,
             .concat, .pad, .reduce, .matmul, .convolution: nil
        }
    }
}
