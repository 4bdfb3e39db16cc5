/// How close a backend's result must be to the reference interpreter's: one table keyed by dtype
/// (f32 1e-5, f16 2e-3 and bf16 1.6e-2 relative, about two ulps; i32 and bool exact), scaled by the
/// square root of the longest sum the program accumulates.
///
/// Values below 1 in magnitude are held to the error allowed at 1, so cancellation does not fail a
/// comparison. NaN and infinity positions are compared before any number.
public struct Tolerance: Hashable, Sendable, CustomStringConvertible {
    /// The allowed relative error.
    public var relative: Double

    /// The tolerance for `dtype` after sums of `reductionLength` terms.
    public init(for dtype: DType, reductionLength: Int = 1) {
        let base = switch dtype {
        case .f32: 1e-5
        case .f16: 2e-3
        case .bf16: 1.6e-2
        case .i32, .bool: 0.0
        }
        relative = base * Double(Swift.max(reductionLength, 1)).squareRoot()
    }

    /// A tolerance of exactly `relative`.
    public init(relative: Double) { self.relative = relative }

    public var description: String { "rtol \(relative)" }

    /// The first few elements where `got` is not close to `want`; empty when they agree.
    public func mismatches(_ got: TensorValue, _ want: TensorValue, limit: Int = 5) -> [String] {
        guard got.type == want.type else { return ["type \(got.type), expected \(want.type)"] }
        var problems: [String] = []
        for (position, (g, w)) in zip(got.scalars, want.scalars).enumerated() where problems.count < limit {
            if w.isNaN || g.isNaN {
                if w.isNaN != g.isNaN { problems.append("[\(position)] \(g), expected \(w)") }
            } else if w.isInfinite || g.isInfinite {
                if g != w { problems.append("[\(position)] \(g), expected \(w)") }
            } else if Swift.abs(g - w) > relative * Swift.max(Swift.abs(w), 1) {
                problems.append("[\(position)] \(g), expected \(w) (tolerance \(relative))")
            }
        }
        return problems
    }

    /// The largest relative error of `got` against `want` (NaN/infinity mismatches count as infinite).
    public static func worstError(_ got: TensorValue, _ want: TensorValue) -> Double {
        guard got.type == want.type else { return .infinity }
        var worst = 0.0
        for (g, w) in zip(got.scalars, want.scalars) {
            if w.isNaN || g.isNaN || w.isInfinite || g.isInfinite {
                if !(w.isNaN && g.isNaN) && g != w { return .infinity }
                continue
            }
            worst = Swift.max(worst, Swift.abs(g - w) / Swift.max(Swift.abs(w), 1))
        }
        return worst
    }

    /// The longest sum any value of `graph` accumulates: reduced elements, or a contraction's depth.
    public static func reductionLength(of graph: Graph) -> Int {
        graph.instructions.reduce(1) { longest, instruction in
            let length: Int
            switch instruction.op {
            case let .reduce(_, axes, _):
                let shape = graph.type(of: instruction.operands[0]).shape
                length = axes.reduce(1) { $0 * shape[$1] }
            case .matmul:
                let shape = graph.type(of: instruction.operands[0]).shape
                length = shape[shape.rank - 1]
            case .convolution:
                length = graph.type(of: instruction.operands[1]).shape.dimensions.dropLast().reduce(1, *)
            case .unary, .binary, .compare, .select, .cast, .broadcast, .reshape, .stopGradient, .permute, .reverse, .slice, .concat,
                 .pad, .iota, .constant, .random:
                length = 1
            }
            return Swift.max(longest, length)
        }
    }
}
