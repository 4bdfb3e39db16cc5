/// A KernelIR primitive. Attributes are associated values, so an `Op` hashes for CSE and prints as `.kir`.
///
/// The set is deliberately small: composites such as softmax, layernorm and attention are `.kir`
/// functions in `Kernels/`, not ops. Every case has a shape rule (``ShapeRules``), an interpreter
/// rule and a `.kir` spelling; no `switch` over `Op` has a `default:`.
public enum Op: Hashable, Sendable {
    /// An elementwise function of one operand.
    case unary(UnaryFunction)
    /// An elementwise function of two operands of the same type.
    case binary(BinaryFunction)
    /// An elementwise comparison of two operands of the same type, giving `bool`.
    case compare(Comparison)
    /// `select(condition, onTrue, onFalse)`, elementwise; the condition is `bool`.
    case select
    /// Elementwise conversion to another dtype.
    case cast(to: DType)
    /// Numpy-style broadcast: the operand's dimensions align to the right of `shape`,
    /// and each must equal the target dimension or be 1.
    case broadcast(to: Shape)
    /// The same elements in row-major order, in a new shape with the same element count.
    case reshape(to: Shape)
    /// The operand unchanged, but a constant to differentiation: no gradient flows back through it
    /// (JAX's `stop_gradient`, PyTorch's `detach`). A softmax subtracts its rows' maximum through
    /// it, since the result does not depend on that shift. Scheduling removes it.
    case stopGradient
    /// Axes reordered: result axis `i` is operand axis `permutation[i]`.
    case permute([Int])
    /// The elements in reverse order along each of `axes` (the flip a convolution's gradient needs).
    case reverse(axes: [Int])
    /// Elements `start[a], start[a] + stride[a], ...` below `limit[a]` along every axis `a`.
    case slice(start: [Int], limit: [Int], stride: [Int])
    /// Operands joined along `axis`; all other dimensions agree.
    case concat(axis: Int)
    /// `low[a]` and `high[a]` elements of `value` added before and after every axis `a`.
    case pad(low: [Int], high: [Int], value: Double)
    /// A reduction over `axes`, keeping them as size-1 dimensions when `keepsDimensions`.
    case reduce(ReduceKind, axes: [Int], keepsDimensions: Bool)
    /// Batched matrix product `[..., m, k] x [..., k, n] -> [..., m, n]`, batch dimensions broadcast.
    case matmul
    /// Channels-last convolution (input `[n, spatial..., c]`, filter `[kernel..., c / groups, o]`).
    case convolution(Convolution)
    /// Integers `0, 1, ...` counting along `axis` of a new tensor of `type`.
    case iota(axis: Int, type: TensorType)
    /// A tensor of `type` filled from `literal`.
    case constant(Literal, type: TensorType)
    /// Counter-based random numbers of `type`: element `i` depends only on `seed` (≥ 0) and `i`.
    case random(Distribution, seed: Int, type: TensorType)
}

/// The elementwise functions of one operand.
public enum UnaryFunction: String, CaseIterable, Hashable, Sendable {
    case neg, abs, exp, log, sqrt, rsqrt, tanh, sigmoid, sin, cos, recip, floor, sign
}

/// The elementwise arithmetic functions of two operands.
public enum BinaryFunction: String, CaseIterable, Hashable, Sendable {
    case add, sub, mul, div, max, min, pow
}

/// The elementwise comparisons.
public enum Comparison: String, CaseIterable, Hashable, Sendable {
    case eq, ne, lt, le, gt, ge
}

/// How a reduction combines elements.
public enum ReduceKind: String, CaseIterable, Hashable, Sendable {
    case sum, max, min
}

/// The distribution a `random` op samples.
public enum Distribution: String, CaseIterable, Hashable, Sendable {
    /// Uniform on `[0, 1)`.
    case uniform
    /// Standard normal, mean 0 and variance 1.
    case normal
}

/// The attributes of a convolution with `n` spatial dimensions (1 to 3).
public struct Convolution: Hashable, Sendable {
    /// Step between filter applications, per spatial dimension (≥ 1).
    public var stride: [Int]
    /// Zero elements added before each spatial dimension (≥ 0).
    public var paddingLow: [Int]
    /// Zero elements added after each spatial dimension (≥ 0).
    public var paddingHigh: [Int]
    /// Spacing between filter taps, per spatial dimension (≥ 1).
    public var dilation: [Int]
    /// Channel groups: input and output channels split into this many independent convolutions.
    public var groups: Int

    /// Creates convolution attributes.
    public init(stride: [Int], paddingLow: [Int], paddingHigh: [Int], dilation: [Int], groups: Int = 1) {
        self.stride = stride
        self.paddingLow = paddingLow
        self.paddingHigh = paddingHigh
        self.dilation = dilation
        self.groups = groups
    }

    /// Unit stride and dilation with no padding, for `spatialRank` dimensions.
    public static func plain(spatialRank: Int) -> Convolution {
        let ones = [Int](repeating: 1, count: spatialRank)
        let zeros = [Int](repeating: 0, count: spatialRank)
        return Convolution(stride: ones, paddingLow: zeros, paddingHigh: zeros, dilation: ones)
    }
}

/// The contents of a `constant`: one value repeated, or every element listed in row-major order.
///
/// Values are `Double`s, which hold every `f32`, `f16`, `bf16`, `i32` and `bool` value exactly.
///
/// Equality compares bit patterns, so a NaN literal equals itself and `-0.0` differs from `0.0`.
public enum Literal: Hashable, Sendable {
    /// Every element equals this value.
    case splat(Double)
    /// The elements in row-major order.
    case elements([Double])

    private var bitPatterns: [UInt64] {
        switch self {
        case let .splat(value): [value.bitPattern]
        case let .elements(values): values.map(\.bitPattern)
        }
    }

    private var isSplat: Bool {
        if case .splat = self { true } else { false }
    }

    public static func == (lhs: Literal, rhs: Literal) -> Bool {
        lhs.isSplat == rhs.isSplat && lhs.bitPatterns == rhs.bitPatterns
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(isSplat)
        hasher.combine(bitPatterns)
    }
}
