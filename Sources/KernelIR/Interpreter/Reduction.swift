/// The interpreter's reductions, accumulated in `Double` in row-major order.
enum Reduction {
    /// `x` reduced over `axes`, in the row-major order of the kept axes. Empty reductions give the
    /// identity: 0 for sum, -inf for max and +inf for min (the `i32` extremes for `i32`).
    /// `max` and `min` propagate NaN.
    static func reduce(_ x: TensorValue, _ kind: ReduceKind, axes: [Int]) -> [Double] {
        let keptAxes = (0..<x.shape.rank).filter { !axes.contains($0) }
        let keptShape = Shape(keptAxes.map { x.shape[$0] })
        let keptStrides = keptShape.strides
        let strides = x.shape.strides
        let isInteger = x.dtype == .i32
        let identity: Double = switch kind {
        case .sum: 0
        case .max: isInteger ? Double(Int32.min) : -.infinity
        case .min: isInteger ? Double(Int32.max) : .infinity
        }
        var result = [Double](repeating: identity, count: keptShape.elementCount)
        for offset in 0..<x.shape.elementCount {
            let index = Layout.index(of: offset, strides: strides)
            var target = 0
            for (position, axis) in keptAxes.enumerated() { target += index[axis] * keptStrides[position] }
            let element = x.scalars[offset]
            switch kind {
            case .sum: result[target] += element
            case .max: result[target] = result[target].isNaN || element.isNaN ? .nan : Swift.max(result[target], element)
            case .min: result[target] = result[target].isNaN || element.isNaN ? .nan : Swift.min(result[target], element)
            }
        }
        return result
    }
}
