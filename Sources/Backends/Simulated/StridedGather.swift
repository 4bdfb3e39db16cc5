import KernelIR

/// The data-movement ops (broadcast, permute, slice, reverse) as one strided gather, walked with
/// an odometer instead of a multi-index per element: the same elements as the interpreter's
/// `Layout`, at a fraction of its cost, so a simulated training step runs in seconds.
///
/// Element `i` of the result, at multi-index `(i₀, …, iₙ)` of `shape`, is
/// `source[base + Σ iₐ · strides[a]]`; strides may be 0 (broadcast) or negative (reverse).
struct StridedGather {
    var shape: [Int]
    var strides: [Int]
    var base: Int

    /// Broadcast `x` to `shape` (numpy alignment: `x`'s axes align to the right).
    static func broadcast(_ x: Shape, to shape: Shape) -> StridedGather {
        let offset = shape.rank - x.rank
        let sourceStrides = x.strides
        let strides = (0..<shape.rank).map { axis -> Int in
            axis < offset || x[axis - offset] == 1 ? 0 : sourceStrides[axis - offset]
        }
        return StridedGather(shape: shape.dimensions, strides: strides, base: 0)
    }

    /// Result axis `a` is `x`'s axis `permutation[a]`.
    static func permute(_ x: Shape, _ permutation: [Int]) -> StridedGather {
        let sourceStrides = x.strides
        return StridedGather(shape: permutation.map { x[$0] }, strides: permutation.map { sourceStrides[$0] }, base: 0)
    }

    /// Elements `start[a] + i·stride[a]` along every axis, for a result of `shape`.
    static func slice(_ x: Shape, start: [Int], stride: [Int], to shape: Shape) -> StridedGather {
        let sourceStrides = x.strides
        return StridedGather(shape: shape.dimensions, strides: (0..<x.rank).map { sourceStrides[$0] * stride[$0] },
                             base: (0..<x.rank).reduce(0) { $0 + start[$1] * sourceStrides[$1] })
    }

    /// `x` reversed along `axes`.
    static func reverse(_ x: Shape, axes: [Int]) -> StridedGather {
        let sourceStrides = x.strides
        var strides = sourceStrides
        var base = 0
        for axis in Set(axes) where x[axis] > 0 {
            strides[axis] = -sourceStrides[axis]
            base += (x[axis] - 1) * sourceStrides[axis]
        }
        return StridedGather(shape: x.dimensions, strides: strides, base: base)
    }

    /// The gathered elements of `source`.
    func apply(_ source: [Double]) -> [Double] {
        let count = shape.reduce(1, *)
        var result = [Double](repeating: 0, count: count)
        guard count > 0 else { return result }
        let rank = shape.count
        result.withUnsafeMutableBufferPointer { output in
            source.withUnsafeBufferPointer { input in
                guard rank > 0 else {
                    output[0] = input[base]
                    return
                }
                let (inner, innerStride) = (shape[rank - 1], strides[rank - 1])
                var index = [Int](repeating: 0, count: rank)
                var offset = base
                var position = 0
                while position < count {
                    var element = offset
                    for j in 0..<inner {
                        output[position + j] = input[element]
                        element += innerStride
                    }
                    position += inner
                    var axis = rank - 2
                    while axis >= 0 {
                        index[axis] += 1
                        offset += strides[axis]
                        if index[axis] < shape[axis] { break }
                        offset -= strides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return result
    }
}
