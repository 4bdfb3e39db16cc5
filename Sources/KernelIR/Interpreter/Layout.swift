/// The interpreter's data-movement ops: each output element is gathered from the operand by index arithmetic.
enum Layout {
    /// The multi-index of row-major offset `offset` in a tensor with `strides`.
    static func index(of offset: Int, strides: [Int]) -> [Int] {
        var remainder = offset
        return strides.map { stride in
            defer { remainder %= stride }
            return remainder / stride
        }
    }

    static func offset(of index: [Int], strides: [Int]) -> Int {
        zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }
    }

    static func broadcast(_ x: TensorValue, to shape: Shape) -> [Double] {
        let offsetRank = shape.rank - x.shape.rank
        let sourceStrides = x.shape.strides
        let strides = shape.strides
        return (0..<shape.elementCount).map { offset in
            let index = Self.index(of: offset, strides: strides)
            var source = 0
            for axis in 0..<x.shape.rank where x.shape[axis] != 1 {
                source += index[axis + offsetRank] * sourceStrides[axis]
            }
            return x.scalars[source]
        }
    }

    static func permute(_ x: TensorValue, _ permutation: [Int]) -> [Double] {
        let shape = Shape(permutation.map { x.shape[$0] })
        let strides = shape.strides
        let sourceStrides = x.shape.strides
        return (0..<shape.elementCount).map { offset in
            let index = Self.index(of: offset, strides: strides)
            var source = 0
            for (axis, sourceAxis) in permutation.enumerated() { source += index[axis] * sourceStrides[sourceAxis] }
            return x.scalars[source]
        }
    }

    static func reverse(_ x: TensorValue, axes: [Int]) -> [Double] {
        let strides = x.shape.strides
        return (0..<x.shape.elementCount).map { offset in
            var index = Self.index(of: offset, strides: strides)
            for axis in axes { index[axis] = x.shape[axis] - 1 - index[axis] }
            return x.scalars[Self.offset(of: index, strides: strides)]
        }
    }

    static func slice(_ x: TensorValue, start: [Int], stride: [Int], to shape: Shape) -> [Double] {
        let strides = shape.strides
        let sourceStrides = x.shape.strides
        return (0..<shape.elementCount).map { offset in
            let index = Self.index(of: offset, strides: strides)
            var source = 0
            for axis in 0..<shape.rank { source += (start[axis] + index[axis] * stride[axis]) * sourceStrides[axis] }
            return x.scalars[source]
        }
    }

    static func concat(_ parts: [TensorValue], axis: Int, to shape: Shape) -> [Double] {
        let strides = shape.strides
        var owner: [(part: Int, start: Int)] = []
        for (partIndex, part) in parts.enumerated() {
            let start = owner.count
            owner += [(part: Int, start: Int)](repeating: (partIndex, start), count: part.shape[axis])
        }
        return (0..<shape.elementCount).map { offset in
            var index = Self.index(of: offset, strides: strides)
            let (partIndex, start) = owner[index[axis]]
            index[axis] -= start
            return parts[partIndex].scalars[Self.offset(of: index, strides: parts[partIndex].shape.strides)]
        }
    }

    static func pad(_ x: TensorValue, low: [Int], value: Double, to shape: Shape) -> [Double] {
        let strides = shape.strides
        let sourceStrides = x.shape.strides
        return (0..<shape.elementCount).map { offset in
            let index = Self.index(of: offset, strides: strides)
            var source = 0
            for axis in 0..<shape.rank {
                let position = index[axis] - low[axis]
                guard position >= 0, position < x.shape[axis] else { return value }
                source += position * sourceStrides[axis]
            }
            return x.scalars[source]
        }
    }
}
