import KernelIR

/// Data movement: the IR's `reshape`, `permute`, `reverse`, `slice`, `concat` and `pad` primitives,
/// with conveniences (negative axes count from the end, `-1` infers a dimension).
extension Tensor {
    /// The same elements in row-major order in a new shape; one dimension may be `-1`, inferred from the rest.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the element counts differ or more
    ///   than one dimension is `-1`.
    public func reshaped(_ dimensions: [Int]) throws(RuntimeError) -> Tensor {
        let operation = "reshaped(\(dimensions))"
        var resolved = dimensions
        let inferred = dimensions.indices.filter { dimensions[$0] == -1 }
        guard inferred.count <= 1, dimensions.allSatisfy({ $0 >= -1 }) else {
            throw .invalidArgument(operation: operation, reason: "dimensions must be non-negative, with at most one -1 to infer")
        }
        if let axis = inferred.first {
            let known = dimensions.filter { $0 != -1 }.reduce(1, *)
            guard known > 0, elementCount % known == 0 else {
                throw .invalidArgument(operation: operation, reason: "\(shape) holds \(elementCount) elements, not a multiple of \(known)")
            }
            resolved[axis] = elementCount / known
        }
        guard let target = Shape(checking: resolved), target.elementCount == elementCount else {
            throw .invalidArgument(operation: operation, reason: "\(shape) holds \(elementCount) elements; \(resolved) would hold "
                + "\(Shape(checking: resolved)?.elementCount.description ?? "too many")")
        }
        return target == shape ? self : try Tensor.apply(.reshape(to: target), [self], name: operation)
    }

    /// The axes reordered: result axis `i` is axis `permutation[i]` of `self` (negative axes count from the end).
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` when `permutation` is not one of `0..<rank`.
    public func transposed(_ permutation: [Int]) throws(RuntimeError) -> Tensor {
        let axes = permutation.map { $0 < 0 ? $0 + rank : $0 }
        return axes == Array(0..<rank) ? self : try Tensor.apply(.permute(axes), [self], name: "transposed(\(permutation))")
    }

    /// The axes in reverse order (a matrix's transpose).
    /// - Throws: never in practice; typed for symmetry.
    public func transposed() throws(RuntimeError) -> Tensor { try transposed(Array((0..<rank).reversed())) }

    /// `self` with axes `a` and `b` exchanged, e.g. `swappedAxes(-1, -2)` for a batched transpose.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for an axis out of range.
    public func swappedAxes(_ a: Int, _ b: Int) throws(RuntimeError) -> Tensor {
        let (first, second) = (try axis(a, in: "swappedAxes"), try axis(b, in: "swappedAxes"))
        var permutation = Array(0..<rank)
        permutation.swapAt(first, second)
        return try transposed(permutation)
    }

    /// The same values, lazily, through which no gradient flows back: `grad` treats them as a
    /// constant (JAX's `stop_gradient`; ``detached()`` is the evaluated form, PyTorch's `detach`).
    public func withoutGradient() throws(RuntimeError) -> Tensor {
        try Tensor.apply(.stopGradient, [self], name: "withoutGradient()")
    }

    /// The elements in reverse order along each of `axes`.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` for an axis out of range.
    public func reversed(axes: [Int]) throws(RuntimeError) -> Tensor {
        try Tensor.apply(.reverse(axes: axes.map { $0 < 0 ? $0 + rank : $0 }), [self], name: "reversed(axes: \(axes))")
    }

    /// The elements `start[a], start[a] + stride[a], ...` below `limit[a]` along every axis `a`; stride defaults to 1.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` for bounds outside the shape.
    public func sliced(start: [Int], limit: [Int], stride: [Int]? = nil) throws(RuntimeError) -> Tensor {
        let op = Op.slice(start: start, limit: limit, stride: stride ?? start.map { _ in 1 })
        return try Tensor.apply(op, [self], name: "sliced(start: \(start), limit: \(limit))")
    }

    /// The elements at `range` along `axis`, everything along the other axes.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for an axis or range out of bounds.
    public func sliced(_ range: Range<Int>, along axis: Int) throws(RuntimeError) -> Tensor {
        let resolved = try self.axis(axis, in: "sliced(along:)")
        guard range.lowerBound >= 0, range.upperBound <= shape[resolved] else {
            throw .invalidArgument(operation: "sliced(\(range), along: \(axis))",
                                   reason: "the range must lie within 0..<\(shape[resolved]), the size of axis \(resolved) of \(shape)")
        }
        var start = [Int](repeating: 0, count: rank), limit = shape.dimensions
        start[resolved] = range.lowerBound
        limit[resolved] = range.upperBound
        return try sliced(start: start, limit: limit)
    }

    /// `parts` equal pieces along `axis`, in order (adaLN's `split(ada(c), 6)`).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the axis does not divide evenly.
    public func split(parts: Int, axis: Int = -1) throws(RuntimeError) -> [Tensor] {
        let resolved = try self.axis(axis, in: "split(parts:axis:)")
        guard parts > 0, shape[resolved] % parts == 0 else {
            throw .invalidArgument(operation: "split(parts: \(parts), axis: \(axis))",
                                   reason: "axis \(resolved) of \(shape) has \(shape[resolved]) elements, not divisible into \(parts) parts")
        }
        let width = shape[resolved] / parts
        var pieces: [Tensor] = []
        for part in 0..<parts { pieces.append(try sliced((part * width)..<((part + 1) * width), along: resolved)) }
        return pieces
    }

    /// `tensors` joined along `axis`; the other dimensions must agree. Named as in mlx-swift.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for no tensors,
    ///   ``RuntimeError/invalidOperation(_:operands:_:)`` for disagreeing shapes or dtypes.
    public static func concatenated(_ tensors: [Tensor], axis: Int = 0) throws(RuntimeError) -> Tensor {
        guard let first = tensors.first else {
            throw .invalidArgument(operation: "concatenated", reason: "needs at least one tensor")
        }
        if tensors.count == 1 { return first }
        let resolved = try first.axis(axis, in: "concatenated")
        return try apply(.concat(axis: resolved), tensors, name: "concatenated(axis: \(axis))")
    }

    /// `self` with `low[a]` and `high[a]` elements of `value` added before and after every axis `a`.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` for negative or mis-sized padding.
    public func padded(low: [Int], high: [Int], value: Double = 0) throws(RuntimeError) -> Tensor {
        try Tensor.apply(.pad(low: low, high: high, value: value), [self], name: "padded(low: \(low), high: \(high))")
    }

    /// `self` with a new dimension of size 1 inserted at `axis` (`-1` appends one).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for an axis out of range.
    public func expandedDimensions(axis: Int) throws(RuntimeError) -> Tensor {
        let position = axis < 0 ? axis + rank + 1 : axis
        guard (0...rank).contains(position) else {
            throw .invalidArgument(operation: "expandedDimensions(axis: \(axis))", reason: "axis must lie in -\(rank + 1)...\(rank)")
        }
        var dimensions = shape.dimensions
        dimensions.insert(1, at: position)
        return try reshaped(dimensions)
    }

    /// `self` without the size-1 dimension at `axis`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when that dimension is not 1.
    public func squeezed(axis: Int) throws(RuntimeError) -> Tensor {
        let resolved = try self.axis(axis, in: "squeezed(axis:)")
        guard shape[resolved] == 1 else {
            throw .invalidArgument(operation: "squeezed(axis: \(axis))", reason: "axis \(resolved) of \(shape) has size \(shape[resolved]), not 1")
        }
        var dimensions = shape.dimensions
        dimensions.remove(at: resolved)
        return try reshaped(dimensions)
    }

    /// `self` flattened to one dimension.
    /// - Throws: never in practice; typed for symmetry.
    public func flattened() throws(RuntimeError) -> Tensor { try reshaped([elementCount]) }

    /// `axis` resolved against the rank (negative counts from the end).
    func axis(_ axis: Int, in operation: String) throws(RuntimeError) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard (0..<rank).contains(resolved) else {
            throw .invalidArgument(operation: operation, reason: "axis \(axis) is out of range for \(type), which has \(rank) axes")
        }
        return resolved
    }
}
