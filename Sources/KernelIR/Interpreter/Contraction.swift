/// The interpreter's matrix products and convolutions, accumulated in `Double` and rounded once.
enum Contraction {
    static func matmul(_ a: TensorValue, _ b: TensorValue, to shape: Shape) -> [Double] {
        let rank = shape.rank
        let (m, n) = (shape[rank - 2], shape[rank - 1])
        let k = a.shape[a.shape.rank - 1]
        let batchShape = Shape(Array(shape.dimensions.dropLast(2)))
        let batchStrides = batchShape.strides
        func batchOffset(_ operand: TensorValue, _ batchIndex: [Int]) -> Int {
            let operandBatch = Array(operand.shape.dimensions.dropLast(2))
            let skipped = batchIndex.count - operandBatch.count
            let strides = operand.shape.strides
            var offset = 0
            for (axis, size) in operandBatch.enumerated() where size != 1 {
                offset += batchIndex[axis + skipped] * strides[axis]
            }
            return offset
        }
        var result = [Double](repeating: 0, count: shape.elementCount)
        for batch in 0..<batchShape.elementCount {
            let batchIndex = Layout.index(of: batch, strides: batchStrides)
            let aBase = batchOffset(a, batchIndex), bBase = batchOffset(b, batchIndex)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += a.scalars[aBase + i * k + p] * b.scalars[bBase + p * n + j] }
                    result[batch * m * n + i * n + j] = sum
                }
            }
        }
        return result
    }

    /// Direct channels-last convolution: input `[n, spatial..., c]`, filter `[kernel..., c/g, o]`.
    static func convolution(_ input: TensorValue, _ filter: TensorValue, _ attributes: Convolution, to shape: Shape) -> [Double] {
        let spatialRank = input.shape.rank - 2
        let channels = input.shape[input.shape.rank - 1]
        let outputs = shape[shape.rank - 1]
        let groupChannels = channels / attributes.groups
        let groupOutputs = outputs / attributes.groups
        let kernelShape = Shape(Array(filter.shape.dimensions.prefix(spatialRank)))
        let kernelStrides = kernelShape.strides
        let inputStrides = input.shape.strides
        let filterStrides = filter.shape.strides
        let strides = shape.strides
        var result = [Double](repeating: 0, count: shape.elementCount)
        for offset in 0..<shape.elementCount {
            let index = Layout.index(of: offset, strides: strides)
            let (batch, output) = (index[0], index[shape.rank - 1])
            let group = output / groupOutputs
            var sum = 0.0
            taps: for tap in 0..<kernelShape.elementCount {
                let kernelIndex = Layout.index(of: tap, strides: kernelStrides)
                var inputOffset = batch * inputStrides[0]
                var filterOffset = output
                for axis in 0..<spatialRank {
                    let position = index[axis + 1] * attributes.stride[axis] + kernelIndex[axis] * attributes.dilation[axis]
                        - attributes.paddingLow[axis]
                    guard position >= 0, position < input.shape[axis + 1] else { continue taps }
                    inputOffset += position * inputStrides[axis + 1]
                    filterOffset += kernelIndex[axis] * filterStrides[axis]
                }
                for channel in 0..<groupChannels {
                    sum += input.scalars[inputOffset + group * groupChannels + channel]
                        * filter.scalars[filterOffset + channel * filterStrides[spatialRank]]
                }
            }
            result[offset] = sum
        }
        return result
    }
}
