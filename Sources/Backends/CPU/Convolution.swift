import CBLAS
import KernelIR

/// A channels-last convolution lowered to `sgemm` through im2col, one group at a time.
///
/// Input `[n, spatial..., c]`, filter `[kernel..., c/g, o]`, output `[n, out spatial..., o]`. For
/// group `g`, row `r` of the column matrix is output position `r` (batch-major) and column
/// `tap * c/g + channel` holds the input element under that filter tap, or 0 in the padding. The
/// filter, read in place as `[taps * c/g, o]`, supplies group `g`'s `o/g` columns from offset
/// `g * o/g` with leading dimension `o`, and the product lands in the output's columns for that
/// group the same way, so neither the filter nor the output is copied. A 1×1 convolution with unit
/// stride and no padding needs no column matrix: the input is already `[positions, c]`.
/// Rows go in blocks so the column matrix stays within ``columnByteLimit``.
struct ConvolutionPlan: Sendable {
    /// The input's, filter's and result's dtype (`f32`, `f16` or `bf16`).
    let dtype: DType
    private let attributes: KernelIR.Convolution
    private let inputSpatial: [Int]
    private let outputSpatial: [Int]
    private let channels: Int
    private let outputs: Int
    private let groupChannels: Int
    private let groupOutputs: Int
    /// Per filter tap, the dilated offset of the tap along each spatial axis.
    private let tapOffsets: [[Int]]
    /// Output positions: `n` × the output's spatial size.
    let rows: Int
    /// Rows of the column matrix filled and multiplied at once.
    let rowsPerBlock: Int
    /// Whether the input serves as the column matrix as it is.
    let isPointwise: Bool
    private let inputCount: Int
    private let filterCount: Int
    private let outputCount: Int

    /// Plans `convolution(input, filter) -> output`; the column matrix of a block stays under
    /// `columnByteLimit` bytes (at least one row).
    /// - Throws: ``BackendError/notImplemented(_:_:)`` for a dimension beyond OpenBLAS's 32-bit integers.
    init(input: TensorType, filter: TensorType, output: TensorType, attributes: KernelIR.Convolution,
         device: DeviceID, columnByteLimit: Int = 8 << 20) throws(BackendError) {
        let spatialRank = input.rank - 2
        dtype = output.dtype
        self.attributes = attributes
        inputSpatial = Array(input.shape.dimensions[1...spatialRank])
        outputSpatial = Array(output.shape.dimensions[1...spatialRank])
        channels = input.shape[input.rank - 1]
        outputs = output.shape[output.rank - 1]
        groupChannels = channels / attributes.groups
        groupOutputs = outputs / attributes.groups
        let kernelShape = Shape(Array(filter.shape.dimensions.prefix(spatialRank)))
        let kernelStrides = kernelShape.strides
        tapOffsets = (0..<kernelShape.elementCount).map { tap in
            (0..<spatialRank).map { axis in (tap / kernelStrides[axis]) % kernelShape[axis] * attributes.dilation[axis] }
        }
        rows = output.elementCount / max(1, outputs)
        isPointwise = kernelShape.elementCount == 1 && attributes.stride.allSatisfy { $0 == 1 }
            && attributes.paddingLow.allSatisfy { $0 == 0 } && attributes.paddingHigh.allSatisfy { $0 == 0 }
        let rowBytes = max(1, tapOffsets.count * groupChannels * 4)
        rowsPerBlock = isPointwise ? rows : max(1, min(rows, columnByteLimit / rowBytes))
        inputCount = input.elementCount
        filterCount = filter.elementCount
        outputCount = output.elementCount
        for dimension in [rows, outputs, channels, tapOffsets.count * groupChannels] where blasint(exactly: dimension) == nil {
            throw .notImplemented(device, "convolution \(input) * \(filter): dimension \(dimension) exceeds OpenBLAS's 32-bit integers")
        }
    }

    private var isHalf: Bool { dtype == .f16 || dtype == .bf16 }

    /// Elements of one block's column matrix.
    private var columnCount: Int { isPointwise ? 0 : rowsPerBlock * tapOffsets.count * groupChannels }

    /// Scratch the run needs: the column matrix, and `f32` copies of everything for `f16`/`bf16`.
    var scratchByteCount: Int {
        let widened = isHalf ? GEMMPlan.aligned(inputCount) + GEMMPlan.aligned(filterCount) + GEMMPlan.aligned(outputCount) : 0
        return (widened + GEMMPlan.aligned(columnCount)) * 4
    }

    /// Computes the convolution; `scratch` holds ``scratchByteCount`` bytes, 64-byte aligned.
    func run(input: UnsafeRawPointer, filter: UnsafeRawPointer, output: UnsafeMutableRawPointer,
             scratch: UnsafeMutableRawPointer, pool: WorkerPool) {
        let floats = scratch.assumingMemoryBound(to: Float.self)
        guard isHalf else {
            convolve(input.assumingMemoryBound(to: Float.self), filter.assumingMemoryBound(to: Float.self),
                     output.assumingMemoryBound(to: Float.self), columns: floats, pool: pool)
            return
        }
        let wideInput = floats
        let wideFilter = wideInput + GEMMPlan.aligned(inputCount)
        let wideOutput = wideFilter + GEMMPlan.aligned(filterCount)
        GEMMPlan.widen(input, dtype: dtype, count: inputCount, into: wideInput, pool: pool)
        GEMMPlan.widen(filter, dtype: dtype, count: filterCount, into: wideFilter, pool: pool)
        convolve(wideInput, wideFilter, wideOutput, columns: wideOutput + GEMMPlan.aligned(outputCount), pool: pool)
        GEMMPlan.narrow(wideOutput, count: outputCount, to: dtype, into: output, pool: pool)
    }

    private func convolve(_ input: UnsafePointer<Float>, _ filter: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                          columns: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let depth = tapOffsets.count * groupChannels
        for blockStart in stride(from: 0, to: rows, by: rowsPerBlock) {
            let blockRows = min(rowsPerBlock, rows - blockStart)
            for group in 0..<attributes.groups {
                let left: UnsafePointer<Float>
                let leftStride: Int
                if isPointwise {
                    (left, leftStride) = (input + blockStart * channels + group * groupChannels, channels)
                } else {
                    fillColumns(columns, rows: blockStart..<(blockStart + blockRows), group: group, input: input, pool: pool)
                    (left, leftStride) = (UnsafePointer(columns), depth)
                }
                GEMMPlan.sgemm(rows: blockRows, columns: groupOutputs, depth: depth, left: left, leftStride: leftStride,
                               right: filter + group * groupOutputs, rightStride: outputs,
                               output: output + blockStart * outputs + group * groupOutputs, outputStride: outputs, pool: pool)
            }
        }
    }

    /// im2col for output positions `rows` of `group`, written from row 0 of `columns`.
    private func fillColumns(_ columns: UnsafeMutablePointer<Float>, rows: Range<Int>, group: Int, input: UnsafePointer<Float>, pool: WorkerPool) {
        let spatialRank = inputSpatial.count
        let (inputSpatial, outputSpatial, tapOffsets) = (inputSpatial, outputSpatial, tapOffsets)
        let (stride, paddingLow) = (attributes.stride, attributes.paddingLow)
        let (channels, groupChannels) = (channels, groupChannels)
        let depth = tapOffsets.count * groupChannels
        let channelOffset = group * groupChannels
        pool.parallelFor(rows, minimumChunk: max(1, (1 << 15) / max(1, depth))) { chunk in
            var base = SIMD4<Int>(repeating: 0)
            for row in chunk {
                // The row's batch index and the input position its first tap reads, per axis.
                var remainder = row
                for axis in (0..<spatialRank).reversed() {
                    base[axis] = (remainder % outputSpatial[axis]) * stride[axis] - paddingLow[axis]
                    remainder /= outputSpatial[axis]
                }
                let batch = remainder
                let target = columns + (row - rows.lowerBound) * depth
                for (tap, offsets) in tapOffsets.enumerated() {
                    let destination = target + tap * groupChannels
                    var element = batch
                    var isInside = true
                    for axis in 0..<spatialRank {
                        let position = base[axis] + offsets[axis]
                        guard position >= 0, position < inputSpatial[axis] else {
                            isInside = false
                            break
                        }
                        element = element * inputSpatial[axis] + position
                    }
                    if isInside {
                        destination.update(from: input + element * channels + channelOffset, count: groupChannels)
                    } else {
                        destination.update(repeating: 0, count: groupChannels)
                    }
                }
            }
        }
    }
}
