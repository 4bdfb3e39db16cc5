/// A value whose elements all hold one number, as the passes recognise it: a `constant` with one
/// repeated value, seen through any broadcasts, reshapes, permutes and slices of it.
struct SplatConstant {
    /// The literal as written, reusable for a new `constant` of the same dtype.
    let literal: Double
    /// The dtype of the elements.
    let dtype: DType

    /// The element as the interpreter stores it: rounded to a floating dtype, wrapped to 32 bits for
    /// `i32`, 0 or 1 for `bool`. Computed by the ``Interpreter`` itself, so passes agree with it exactly.
    var scalar: Double {
        let type = TensorType(dtype, [])
        return Interpreter().evaluate(.constant(.splat(literal), type: type), [], type: type).scalars[0]
    }

    /// Whether the element is the number `value` (`0.0 == -0.0` here; check the sign separately).
    func holds(_ value: Double) -> Bool { scalar == value }
}

extension GraphRewriter {
    /// The splat constant a new value is, or `nil` when it is not one.
    func splatConstant(_ value: Value) -> SplatConstant? {
        guard let definition = definition(of: value) else { return nil }
        switch definition.op {
        case let .constant(literal, type):
            return literal.repeatedValue.map { SplatConstant(literal: $0, dtype: type.dtype) }
        case .broadcast, .reshape, .stopGradient, .permute, .reverse, .slice:
            // Data movement of a splat is the same splat in another shape.
            return splatConstant(definition.operands[0])
        case .unary, .binary, .compare, .select, .cast, .concat, .pad, .reduce, .matmul, .convolution, .iota, .random:
            return nil
        }
    }
}

extension Literal {
    /// The one value every element holds: a splat's, or that of a nonempty element list whose values
    /// are identical bit for bit (so `[0.0, -0.0]` has none).
    var repeatedValue: Double? {
        switch self {
        case let .splat(value):
            return value
        case let .elements(values):
            guard let first = values.first, values.allSatisfy({ $0.bitPattern == first.bitPattern }) else { return nil }
            return first
        }
    }

    /// The literal of a tensor of `dtype` holding `scalars` (as the interpreter stores them): a splat when
    /// every element is the same bit for bit, else the element list. Integer and `bool` zeros are written
    /// as `+0`, which is all their dtypes can hold.
    init(scalars: [Double], dtype: DType) {
        let canonical = dtype.isFloatingPoint ? scalars : scalars.map { $0 == 0 ? 0 : $0 }
        let literal = Literal.elements(canonical)
        self = literal.repeatedValue.map(Literal.splat) ?? (canonical.isEmpty ? .splat(0) : literal)
    }
}
