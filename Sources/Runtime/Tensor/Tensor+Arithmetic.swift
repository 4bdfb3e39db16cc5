import KernelIR

/// Elementwise arithmetic with numpy broadcasting; a `Double` operand becomes a constant of the tensor's dtype.
///
/// Operands of two dtypes are refused rather than promoted, so mixed-precision code says where it
/// converts (``asType(_:)``).
extension Tensor {
    /// `lhs + rhs`, elementwise, broadcasting.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for shapes that do not broadcast or
    ///   different dtypes, ``RuntimeError/deviceMismatch(operation:devices:)`` for operands on two devices.
    public static func + (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try binary(.add, lhs, rhs, name: "+") }
    /// `lhs - rhs`, elementwise, broadcasting.
    /// - Throws: as ``+(_:_:)-(Tensor,Tensor)`` does.
    public static func - (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try binary(.sub, lhs, rhs, name: "-") }
    /// `lhs * rhs`, elementwise, broadcasting.
    /// - Throws: as ``+(_:_:)-(Tensor,Tensor)`` does.
    public static func * (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try binary(.mul, lhs, rhs, name: "*") }
    /// `lhs / rhs`, elementwise, broadcasting.
    /// - Throws: as ``+(_:_:)-(Tensor,Tensor)`` does.
    public static func / (lhs: Tensor, rhs: Tensor) throws(RuntimeError) -> Tensor { try binary(.div, lhs, rhs, name: "/") }

    /// `lhs + rhs` with `rhs` a constant of `lhs`'s dtype.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` for a dtype without arithmetic (`bool`).
    public static func + (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try lhs + lhs.filled(rhs) }
    /// `lhs - rhs` with `rhs` a constant of `lhs`'s dtype.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public static func - (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try lhs - lhs.filled(rhs) }
    /// `lhs * rhs` with `rhs` a constant of `lhs`'s dtype.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public static func * (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try lhs * lhs.filled(rhs) }
    /// `lhs / rhs` with `rhs` a constant of `lhs`'s dtype.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public static func / (lhs: Tensor, rhs: Double) throws(RuntimeError) -> Tensor { try lhs / lhs.filled(rhs) }
    /// `lhs + rhs` with `lhs` a constant of `rhs`'s dtype.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public static func + (lhs: Double, rhs: Tensor) throws(RuntimeError) -> Tensor { try rhs.filled(lhs) + rhs }
    /// `lhs - rhs` with `lhs` a constant of `rhs`'s dtype.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public static func - (lhs: Double, rhs: Tensor) throws(RuntimeError) -> Tensor { try rhs.filled(lhs) - rhs }
    /// `lhs * rhs` with `lhs` a constant of `rhs`'s dtype.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public static func * (lhs: Double, rhs: Tensor) throws(RuntimeError) -> Tensor { try rhs.filled(lhs) * rhs }
    /// `lhs / rhs` with `lhs` a constant of `rhs`'s dtype.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public static func / (lhs: Double, rhs: Tensor) throws(RuntimeError) -> Tensor { try rhs.filled(lhs) / rhs }

    /// `-x`, elementwise.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` for `bool`.
    public static prefix func - (x: Tensor) throws(RuntimeError) -> Tensor { try apply(.unary(.neg), [x], name: "-") }

    /// The larger of `self` and `other`, elementwise, broadcasting.
    /// - Throws: as ``+(_:_:)-(Tensor,Tensor)`` does.
    public func maximum(_ other: Tensor) throws(RuntimeError) -> Tensor { try Tensor.binary(.max, self, other, name: "maximum") }
    /// The smaller of `self` and `other`, elementwise, broadcasting.
    /// - Throws: as ``+(_:_:)-(Tensor,Tensor)`` does.
    public func minimum(_ other: Tensor) throws(RuntimeError) -> Tensor { try Tensor.binary(.min, self, other, name: "minimum") }
    /// The larger of `self` and a constant, elementwise.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public func maximum(_ value: Double) throws(RuntimeError) -> Tensor { try maximum(filled(value)) }
    /// The smaller of `self` and a constant, elementwise.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public func minimum(_ value: Double) throws(RuntimeError) -> Tensor { try minimum(filled(value)) }
    /// `self` raised to `exponent`, elementwise, broadcasting; floating point only.
    /// - Throws: as ``+(_:_:)-(Tensor,Tensor)`` does.
    public func pow(_ exponent: Tensor) throws(RuntimeError) -> Tensor { try Tensor.binary(.pow, self, exponent, name: "pow") }
    /// `self` raised to a constant power, elementwise; floating point only.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public func pow(_ exponent: Double) throws(RuntimeError) -> Tensor { try pow(filled(exponent)) }
    /// `self * self`, elementwise.
    /// - Throws: as ``+(_:_:)-(Tensor,Double)`` does.
    public func square() throws(RuntimeError) -> Tensor { try self * self }

    // MARK: - Broadcasting

    /// The numpy broadcast of two shapes: dimensions aligned to the right, each pair equal or one of them 1.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` naming the first pair that does not fit.
    public static func broadcastShape(_ a: Shape, _ b: Shape, operation: String = "broadcast") throws(RuntimeError) -> Shape {
        let rank = Swift.max(a.rank, b.rank)
        var dimensions = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = axis - (rank - a.rank) >= 0 ? a[axis - (rank - a.rank)] : 1
            let y = axis - (rank - b.rank) >= 0 ? b[axis - (rank - b.rank)] : 1
            guard x == y || x == 1 || y == 1 else {
                throw .invalidArgument(operation: operation, reason: "shapes \(a) and \(b) do not broadcast: "
                    + "aligned from the right, dimension \(axis) is \(x) in one and \(y) in the other; reshape one of them")
            }
            dimensions[axis] = x == 1 ? y : x
        }
        return Shape(dimensions)
    }

    /// `self` broadcast numpy-style to `shape` (dimensions aligned right, each equal or 1); `self` if the shape is its own.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` when the shapes do not fit.
    public func broadcast(to shape: Shape) throws(RuntimeError) -> Tensor {
        shape == self.shape ? self : try Tensor.apply(.broadcast(to: shape), [self], name: "broadcast(to: \(shape))")
    }

    /// A splat constant shaped and typed like `self`.
    func filled(_ value: Double) -> Tensor { Tensor.constant(value, type, on: device) }

    /// `function` of two operands after broadcasting them to a common shape.
    static func binary(_ function: BinaryFunction, _ lhs: Tensor, _ rhs: Tensor, name: String) throws(RuntimeError) -> Tensor {
        let (a, b) = try broadcastPair(lhs, rhs, operation: name)
        return try apply(.binary(function), [a, b], name: name)
    }

    /// Both operands broadcast to their common shape, after checking that they share a dtype.
    static func broadcastPair(_ lhs: Tensor, _ rhs: Tensor, operation: String) throws(RuntimeError) -> (Tensor, Tensor) {
        guard lhs.dtype == rhs.dtype else {
            throw .invalidArgument(operation: operation, reason: "operands \(lhs.type) and \(rhs.type) differ in dtype; "
                + "convert one with asType(.\(lhs.dtype)) or asType(.\(rhs.dtype))")
        }
        if lhs.shape == rhs.shape { return (lhs, rhs) }
        let shape = try broadcastShape(lhs.shape, rhs.shape, operation: operation)
        return (try lhs.broadcast(to: shape), try rhs.broadcast(to: shape))
    }
}
