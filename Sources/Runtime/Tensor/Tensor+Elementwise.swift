import KernelIR

/// Elementwise functions, comparisons, selection and dtype conversion: the IR's `unary`, `compare`,
/// `select` and `cast` primitives.
extension Tensor {
    /// `function` applied to every element: the IR's `unary` primitive, for functions named at run time.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` for a dtype the function does not take
    ///   (most need floating point; `neg`, `abs` and `sign` also take `i32`).
    public func applying(_ function: UnaryFunction) throws(RuntimeError) -> Tensor {
        try Tensor.apply(.unary(function), [self], name: function.rawValue)
    }

    /// `|x|`.

    /// - Throws: as ``applying(_:)`` does.
    public func abs() throws(RuntimeError) -> Tensor { try applying(.abs) }
    /// `e^x`.
    /// - Throws: as ``applying(_:)`` does.
    public func exp() throws(RuntimeError) -> Tensor { try applying(.exp) }
    /// The natural logarithm.
    /// - Throws: as ``applying(_:)`` does.
    public func log() throws(RuntimeError) -> Tensor { try applying(.log) }
    /// The square root.
    /// - Throws: as ``applying(_:)`` does.
    public func sqrt() throws(RuntimeError) -> Tensor { try applying(.sqrt) }
    /// `1 / sqrt(x)`.
    /// - Throws: as ``applying(_:)`` does.
    public func rsqrt() throws(RuntimeError) -> Tensor { try applying(.rsqrt) }
    /// The hyperbolic tangent.
    /// - Throws: as ``applying(_:)`` does.
    public func tanh() throws(RuntimeError) -> Tensor { try applying(.tanh) }
    /// `1 / (1 + e^-x)`.
    /// - Throws: as ``applying(_:)`` does.
    public func sigmoid() throws(RuntimeError) -> Tensor { try applying(.sigmoid) }
    /// The sine, in radians.
    /// - Throws: as ``applying(_:)`` does.
    public func sin() throws(RuntimeError) -> Tensor { try applying(.sin) }
    /// The cosine, in radians.
    /// - Throws: as ``applying(_:)`` does.
    public func cos() throws(RuntimeError) -> Tensor { try applying(.cos) }
    /// `1 / x`.
    /// - Throws: as ``applying(_:)`` does.
    public func reciprocal() throws(RuntimeError) -> Tensor { try applying(.recip) }
    /// The largest integer not above `x`.
    /// - Throws: as ``applying(_:)`` does.
    public func floor() throws(RuntimeError) -> Tensor { try applying(.floor) }
    /// `-1`, `0` or `1` by the sign of `x`.
    /// - Throws: as ``applying(_:)`` does.
    public func sign() throws(RuntimeError) -> Tensor { try applying(.sign) }

    /// The elements converted to `dtype` (rounded to nearest even for floats, truncated for `i32`).
    /// `self` when it already has that dtype. Named as in mlx-swift.
    /// - Throws: never for the five dtypes; typed for symmetry with the other operations.
    public func asType(_ dtype: DType) throws(RuntimeError) -> Tensor {
        dtype == self.dtype ? self : try Tensor.apply(.cast(to: dtype), [self], name: "asType(.\(dtype))")
    }

    // MARK: - Comparisons and selection

    /// `lhs comparison rhs`, elementwise and broadcasting, as `bool`: the IR's `compare` primitive.
    /// - Throws: as ``+(_:_:)-(Tensor,Tensor)`` does; ordered comparisons of `bool` are refused.
    public static func compare(_ lhs: Tensor, _ comparison: Comparison, _ rhs: Tensor) throws(RuntimeError) -> Tensor {
        let (a, b) = try broadcastPair(lhs, rhs, operation: comparison.rawValue)
        return try apply(.compare(comparison), [a, b], name: comparison.rawValue)
    }

    /// Elementwise `lhs == rhs`, as `bool`.

    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .== (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try compare(lhs, .eq, rhs) }
    /// Elementwise `lhs != rhs`, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .!= (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try compare(lhs, .ne, rhs) }
    /// Elementwise `lhs < rhs`, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .< (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try compare(lhs, .lt, rhs) }
    /// Elementwise `lhs <= rhs`, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .<= (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try compare(lhs, .le, rhs) }
    /// Elementwise `lhs > rhs`, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .> (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try compare(lhs, .gt, rhs) }
    /// Elementwise `lhs >= rhs`, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .>= (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try compare(lhs, .ge, rhs) }
    /// Elementwise `lhs == rhs` against a constant, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .== (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try compare(lhs, .eq, lhs.filled(rhs)) }
    /// Elementwise `lhs != rhs` against a constant, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .!= (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try compare(lhs, .ne, lhs.filled(rhs)) }
    /// Elementwise `lhs < rhs` against a constant, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .< (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try compare(lhs, .lt, lhs.filled(rhs)) }
    /// Elementwise `lhs <= rhs` against a constant, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .<= (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try compare(lhs, .le, lhs.filled(rhs)) }
    /// Elementwise `lhs > rhs` against a constant, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .> (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try compare(lhs, .gt, lhs.filled(rhs)) }
    /// Elementwise `lhs >= rhs` against a constant, as `bool`.
    /// - Throws: as ``compare(_:_:_:)`` does.
    public static func .>= (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try compare(lhs, .ge, lhs.filled(rhs)) }

    /// `condition ? onTrue : onFalse`, elementwise, all three broadcast to one shape; the condition is `bool`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for shapes that do not broadcast or
    ///   branches of two dtypes, ``RuntimeError/invalidOperation(_:operands:_:)`` for a condition that is not `bool`.
    public static func select(_ condition: Tensor, _ onTrue: Tensor, _ onFalse: Tensor) throws(RuntimeError) -> Tensor {
        let (a, b) = try broadcastPair(onTrue, onFalse, operation: "select")
        let shape = try broadcastShape(condition.shape, a.shape, operation: "select")
        return try apply(.select, [condition.broadcast(to: shape), a.broadcast(to: shape), b.broadcast(to: shape)], name: "select")
    }

    /// Whether every element is finite (neither infinite nor NaN), as a `bool` scalar.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` for a non-floating tensor.
    public func allFinite() throws(RuntimeError) -> Tensor {
        // |x| summed is NaN or infinite exactly when some element is (or the sum overflows, which is as bad).
        let total = try abs().asType(.f32).sum()
        return try total .< .infinity
    }
}
