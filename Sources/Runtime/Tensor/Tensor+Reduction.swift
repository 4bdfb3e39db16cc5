import KernelIR

/// Reductions and contractions: the IR's `reduce`, `matmul` and `convolution` primitives.
extension Tensor {
    /// A reduction of `kind` over `axes` (every axis when `nil`; negative axes count from the end).
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for an axis out of range.
    public func reduced(_ kind: ReduceKind, axes: [Int]? = nil, keepingDimensions: Bool = false) throws(RuntimeError) -> Tensor {
        let name = "\(kind.rawValue)(axes: \(axes.map(\.description) ?? "all"))"
        var resolved: [Int] = []
        for axis in axes ?? Array(0..<rank) { resolved.append(try self.axis(axis, in: name)) }
        return try Tensor.apply(.reduce(kind, axes: resolved.sorted(), keepsDimensions: keepingDimensions), [self], name: name)
    }

    /// The sum over `axes` (every axis when `nil`).
    /// - Throws: as ``reduced(_:axes:keepingDimensions:)`` does.
    public func sum(axes: [Int]? = nil, keepingDimensions: Bool = false) throws(RuntimeError) -> Tensor {
        try reduced(.sum, axes: axes, keepingDimensions: keepingDimensions)
    }

    /// The largest element over `axes` (every axis when `nil`).
    /// - Throws: as ``reduced(_:axes:keepingDimensions:)`` does.
    public func max(axes: [Int]? = nil, keepingDimensions: Bool = false) throws(RuntimeError) -> Tensor {
        try reduced(.max, axes: axes, keepingDimensions: keepingDimensions)
    }

    /// The smallest element over `axes` (every axis when `nil`).
    /// - Throws: as ``reduced(_:axes:keepingDimensions:)`` does.
    public func min(axes: [Int]? = nil, keepingDimensions: Bool = false) throws(RuntimeError) -> Tensor {
        try reduced(.min, axes: axes, keepingDimensions: keepingDimensions)
    }

    /// The mean over `axes` (every axis when `nil`): the sum times the reciprocal of the count.
    /// - Throws: as ``reduced(_:axes:keepingDimensions:)`` does.
    public func mean(axes: [Int]? = nil, keepingDimensions: Bool = false) throws(RuntimeError) -> Tensor {
        let total = try sum(axes: axes, keepingDimensions: keepingDimensions)
        let count = elementCount / Swift.max(total.elementCount, 1)
        return try total / Double(count)
    }

    /// The batched matrix product `[..., m, k] x [..., k, n] -> [..., m, n]`; batch dimensions broadcast.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` when the inner dimensions or dtypes differ.
    public func matmul(_ other: Tensor) throws(RuntimeError) -> Tensor { try Tensor.apply(.matmul, [self, other], name: "matmul") }

    /// The channels-last convolution of `self` (`[n, spatial..., c]`) with `filter` (`[kernel..., c / groups, o]`).
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` when the shapes or attributes do not fit.
    public func convolution(_ filter: Tensor, _ attributes: Convolution) throws(RuntimeError) -> Tensor {
        try Tensor.apply(.convolution(attributes), [self, filter], name: "convolution")
    }

    /// The channels-last convolution of `self` with `filter`, with per-dimension `stride`, symmetric
    /// `padding` and `dilation` (each defaulting to 1, 0 and 1 on every spatial dimension) and channel `groups`.
    /// - Throws: as ``convolution(_:_:)`` does.
    public func convolution(_ filter: Tensor, stride: [Int]? = nil, padding: [Int]? = nil, dilation: [Int]? = nil,
                            groups: Int = 1) throws(RuntimeError) -> Tensor {
        let spatial = Swift.max(rank - 2, 0)
        let attributes = Convolution(stride: stride ?? Array(repeating: 1, count: spatial),
                                     paddingLow: padding ?? Array(repeating: 0, count: spatial),
                                     paddingHigh: padding ?? Array(repeating: 0, count: spatial),
                                     dilation: dilation ?? Array(repeating: 1, count: spatial), groups: groups)
        return try convolution(filter, attributes)
    }
}
