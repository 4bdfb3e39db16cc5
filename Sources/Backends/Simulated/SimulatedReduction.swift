import KernelIR

/// Float sums as a simulated vector unit computes them (accelerators.md §6 rule 7): in fp32, each
/// output's elements taken in row-major order of the reduced axes, summed sequentially within
/// 128-element chunks, and the chunk sums combined pairwise, (c₀ + c₁) + (c₂ + c₃), ..., an odd
/// last chunk carried to the next level. The hardware order is undocumented; this one is fixed so
/// results are bit-reproducible.
enum SimulatedReduction {
    /// Elements summed sequentially before a chunk closes.
    static let chunk = 128

    /// The sums of `x` over `axes`, in the row-major order of the kept axes, as f32-exact values.
    static func sum(_ x: TensorValue, axes: [Int]) -> [Double] {
        let shape = x.shape
        let keptAxes = (0..<shape.rank).filter { !axes.contains($0) }
        let keptStrides = Shape(keptAxes.map { shape[$0] }).strides
        var targetStride = [Int](repeating: 0, count: shape.rank)
        for (position, axis) in keptAxes.enumerated() { targetStride[axis] = keptStrides[position] }
        let outputCount = keptAxes.reduce(1) { $0 * shape[$1] }
        var partial = [Float](repeating: 0, count: outputCount)
        var counts = [Int](repeating: 0, count: outputCount)
        var chunks = [[Float]](repeating: [], count: outputCount)
        var index = [Int](repeating: 0, count: shape.rank)
        var target = 0
        for element in x.scalars {
            partial[target] += Float(element)
            counts[target] += 1
            if counts[target] == chunk {
                chunks[target].append(partial[target])
                partial[target] = 0
                counts[target] = 0
            }
            // Advance the row-major odometer, keeping `target` in step.
            var axis = shape.rank - 1
            while axis >= 0 {
                index[axis] += 1
                target += targetStride[axis]
                if index[axis] < shape[axis] { break }
                target -= targetStride[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return (0..<outputCount).map { output in
            var level = chunks[output]
            if counts[output] > 0 { level.append(partial[output]) }
            guard !level.isEmpty else { return 0 }
            while level.count > 1 {
                var next: [Float] = []
                next.reserveCapacity((level.count + 1) / 2)
                var position = 0
                while position + 1 < level.count {
                    next.append(level[position] + level[position + 1])
                    position += 2
                }
                if position < level.count { next.append(level[position]) }
                level = next
            }
            return Double(level[0])
        }
    }
}
