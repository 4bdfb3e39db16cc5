import Dispatch
import Foundation
import KernelIR

/// Matmul and convolution as a simulated matrix unit computes them (accelerators.md §6 rules 4–5):
/// each operand rounded once to the unit's format, products summed in fp32 one native k-tile at a
/// time in ascending k from zero, each tile's partial added to an fp32 accumulator in ascending k.
///
/// The loops run in any order that keeps each output element's sequence of operations, so results
/// are bit-identical from run to run and machine to machine. A product of two fp32 operands (the
/// `native` and `hf32`/`tf32` paths) is rounded to fp32 before it is added (est.: vendors do not
/// publish the cube's internal width); products of 16-bit operands are exact in fp32 either way.
struct SimulatedContraction {
    let numerics: DeviceNumerics

    /// `a @ b` with batch broadcasting, as f32-exact values.
    func matmul(_ a: TensorValue, _ b: TensorValue, to shape: Shape, precision: MatrixPrecision) -> [Double] {
        let rank = shape.rank
        let (m, n) = (shape[rank - 2], shape[rank - 1])
        let k = a.shape[a.shape.rank - 1]
        let depth = numerics.accumulationDepth(for: precision)
        let batchShape = Shape(Array(shape.dimensions.dropLast(2)))
        let batchStrides = batchShape.strides
        func batchOffset(_ operand: TensorValue, _ batch: Int) -> Int {
            let index = batchShape.rank == 0 ? [] : Self.index(of: batch, strides: batchStrides)
            let operandBatch = Array(operand.shape.dimensions.dropLast(2))
            let skipped = index.count - operandBatch.count
            let strides = operand.shape.strides
            var offset = 0
            for (axis, size) in operandBatch.enumerated() where size != 1 { offset += index[axis + skipped] * strides[axis] }
            return offset
        }
        let terms = operandTerms(a.scalars, precision: precision)
        let rightTerms = operandTerms(b.scalars, precision: precision)
        var result = [Double](repeating: 0, count: shape.elementCount)
        for batch in 0..<batchShape.elementCount {
            let (aBase, bBase) = (batchOffset(a, batch), batchOffset(b, batch))
            let product = combined(precision: precision) { left, right in
                terms[left].withUnsafeBufferPointer { aBuffer in
                    rightTerms[right].withUnsafeBufferPointer { bBuffer in
                        Self.gemm(UnsafeBufferPointer(rebasing: aBuffer[aBase..<(aBase + m * k)]),
                                  UnsafeBufferPointer(rebasing: bBuffer[bBase..<(bBase + k * n)]), m: m, n: n, k: k, depth: depth)
                    }
                }
            }
            for (offset, value) in product.enumerated() { result[batch * m * n + offset] = Double(value) }
        }
        return result
    }

    /// A channels-last convolution as per-group GEMMs over its im2col matrix: rows are output
    /// positions, the depth runs over filter taps (outer) and input channels (inner), the filter's
    /// own order; taps that fall in the padding contribute zero products.
    func convolution(_ input: TensorValue, _ filter: TensorValue, _ attributes: Convolution, to shape: Shape,
                     precision: MatrixPrecision) -> [Double] {
        let spatialRank = input.shape.rank - 2
        let channels = input.shape[input.shape.rank - 1]
        let outputs = shape[shape.rank - 1]
        let groups = attributes.groups
        let (groupChannels, groupOutputs) = (channels / groups, outputs / groups)
        let kernelShape = Shape(Array(filter.shape.dimensions.prefix(spatialRank)))
        let taps = kernelShape.elementCount
        let outputSpatial = Shape(Array(shape.dimensions.dropFirst().dropLast()))
        let rows = shape[0] * outputSpatial.elementCount
        let depth = taps * groupChannels
        let inputStrides = input.shape.strides
        let kernelStrides = kernelShape.strides, spatialStrides = outputSpatial.strides
        var result = [Double](repeating: 0, count: shape.elementCount)
        for group in 0..<groups {
            var columns = [Double](repeating: 0, count: rows * depth)
            for row in 0..<rows {
                let batch = row / Swift.max(outputSpatial.elementCount, 1)
                let position = outputSpatial.rank == 0 ? [] : Self.index(of: row % Swift.max(outputSpatial.elementCount, 1), strides: spatialStrides)
                taps: for tap in 0..<taps {
                    let kernelIndex = kernelShape.rank == 0 ? [] : Self.index(of: tap, strides: kernelStrides)
                    var offset = batch * inputStrides[0] + group * groupChannels
                    for axis in 0..<spatialRank {
                        let coordinate = position[axis] * attributes.stride[axis] + kernelIndex[axis] * attributes.dilation[axis] - attributes.paddingLow[axis]
                        guard coordinate >= 0, coordinate < input.shape[axis + 1] else { continue taps }
                        offset += coordinate * inputStrides[axis + 1]
                    }
                    for channel in 0..<groupChannels { columns[row * depth + tap * groupChannels + channel] = input.scalars[offset + channel] }
                }
            }
            var weights = [Double](repeating: 0, count: depth * groupOutputs)
            for tap in 0..<taps {
                for channel in 0..<groupChannels {
                    for output in 0..<groupOutputs {
                        weights[(tap * groupChannels + channel) * groupOutputs + output] =
                            filter.scalars[(tap * groupChannels + channel) * outputs + group * groupOutputs + output]
                    }
                }
            }
            let product = matmul(TensorValue(TensorType(.f32, [rows, depth]), scalars: columns),
                                 TensorValue(TensorType(.f32, [depth, groupOutputs]), scalars: weights),
                                 to: [rows, groupOutputs], precision: precision)
            for row in 0..<rows {
                for output in 0..<groupOutputs { result[row * outputs + group * groupOutputs + output] = product[row * groupOutputs + output] }
            }
        }
        return result
    }

    /// The operand as the unit's passes see it: one rounded copy, or the bf16 split parts.
    private func operandTerms(_ scalars: [Double], precision: MatrixPrecision) -> [[Float]] {
        guard precision.passes > 1 else { return [scalars.map { numerics.operand(Float($0), precision) }] }
        let parts = precision == .bf16x3 ? 2 : 3
        var terms = [[Float]](repeating: [], count: parts)
        for index in terms.indices { terms[index].reserveCapacity(scalars.count) }
        for scalar in scalars {
            for (index, part) in numerics.bf16Split(Float(scalar), parts: parts).enumerated() { terms[index].append(part) }
        }
        return terms
    }

    /// The passes of `precision` summed as §6 rule 5 orders them, small terms first:
    /// bf16x3 = (a₁b₂ + a₂b₁) + a₁b₁; bf16x6 = ((a₁b₃ + a₂b₂ + a₃b₁) + (a₁b₂ + a₂b₁)) + a₁b₁.
    private func combined(precision: MatrixPrecision, term: (Int, Int) -> [Float]) -> [Float] {
        let groups: [[(Int, Int)]] = switch precision {
        case .bf16x3: [[(0, 1), (1, 0)], [(0, 0)]]
        case .bf16x6: [[(0, 2), (1, 1), (2, 0)], [(0, 1), (1, 0)], [(0, 0)]]
        case .native, .bf16x1, .tf32, .hf32, .fp16: [[(0, 0)]]
        }
        var total: [Float] = []
        for group in groups {
            var sum: [Float] = []
            for (left, right) in group {
                let product = term(left, right)
                sum = sum.isEmpty ? product : zip(sum, product).map { $0 + $1 }
            }
            total = total.isEmpty ? sum : zip(total, sum).map { $0 + $1 }
        }
        return total
    }

    /// `a [m, k] @ b [k, n]` in fp32 with rule 4's order: per output element, products of each
    /// `depth`-long k-tile summed from zero in ascending k, then added to the accumulator.
    /// Large products split their rows over the host's cores; each row's operations are the same
    /// wherever it runs, so the result does not depend on the split.
    static func gemm(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, m: Int, n: Int, k: Int, depth: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        guard n > 0, m > 0, let aBase = a.baseAddress, let bBase = b.baseAddress else { return c }
        c.withUnsafeMutableBufferPointer { output in
            guard let cBase = output.baseAddress else { return }
            let workers = m * n * k >= parallelWork ? Swift.min(ProcessInfo.processInfo.activeProcessorCount, m) : 1
            let rowsPerWorker = (m + workers - 1) / workers
            // Safe because: workers only read `a` and `b` and write disjoint rows of `c`, and
            // concurrentPerform returns after every worker has finished.
            nonisolated(unsafe) let (left, right, result) = (aBase, bBase, cBase)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let rows = (worker * rowsPerWorker)..<Swift.min(m, (worker + 1) * rowsPerWorker)
                let partial = UnsafeMutablePointer<Float>.allocate(capacity: n)
                partial.initialize(repeating: 0, count: n)
                defer { partial.deallocate() }
                for i in rows {
                    let row = result + i * n
                    var start = 0
                    while start < k {
                        let end = Swift.min(start + depth, k)
                        partial.update(repeating: 0, count: n)
                        for p in start..<end {
                            let scale = left[i * k + p]
                            let bRow = right + p * n
                            for j in 0..<n { partial[j] += scale * bRow[j] }
                        }
                        for j in 0..<n { row[j] += partial[j] }
                        start = end
                    }
                }
            }
        }
        return c
    }

    /// Multiply-adds above which a GEMM is split over the host's cores.
    static let parallelWork = 1 << 22

    static func index(of offset: Int, strides: [Int]) -> [Int] {
        var remainder = offset
        return strides.map { stride in
            defer { remainder %= stride }
            return remainder / stride
        }
    }
}
