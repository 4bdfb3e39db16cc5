import CBLAS
import KernelIR

/// A matmul lowered to OpenBLAS: `[..., m, k] x [..., k, n]` with numpy-broadcast batch dimensions,
/// row-major, with no copies of `f32` operands.
///
/// When the right operand has no batch and the left is not broadcast (a linear layer), the batch
/// folds into the rows of one `sgemm`. Otherwise each output batch is one `sgemm` at precomputed
/// offsets. OpenBLAS runs single-threaded (see ``CPUDevice``): the products, cut into row or column
/// blocks by ``GEMMSplit``, are spread over the device's worker pool, so one set of threads runs both
/// GEMMs and loop kernels and no library thread spins on a core the pool needs.
/// `f16` and `bf16` operands are widened to `f32` scratch, multiplied, and rounded back once;
/// `i32` uses a plain wrapping loop, as the interpreter's two's-complement semantics require.
struct GEMMPlan: Sendable {
    /// The operands' and result's dtype.
    let dtype: DType
    /// Rows of each product: `m`, or batch × `m` when the batch is folded.
    let rows: Int
    /// Columns of the result.
    let columns: Int
    /// The shared dimension.
    let depth: Int
    /// Per product, the element offsets of its left and right matrices.
    let offsets: [(left: Int, right: Int)]
    /// Elements between consecutive rows and columns of each operand's matrices in its buffer: one
    /// of the two is 1, and the other is the leading dimension BLAS is given.
    let leftStrides: (row: Int, column: Int)
    let rightStrides: (row: Int, column: Int)
    private let leftCount: Int
    private let rightCount: Int
    private let outputCount: Int
    /// The tiled loops that compute each product instead of OpenBLAS, when they are faster for its
    /// shape (``TiledGEMM/prefers(rows:columns:depth:)``).
    let tiled: TiledGEMM?

    /// Multiply-adds below which a product is not worth handing to another thread.
    static let singleThreadedWork = 1 << 18

    /// Plans `left x right -> output` for operands laid out in their buffers as `left` and `right`
    /// say (row-major, or views read through strides), the buffers holding `leftCount` and
    /// `rightCount` elements.
    /// - Throws: ``BackendError/notImplemented(_:_:)`` for a dimension beyond OpenBLAS's 32-bit
    ///   integers, ``BackendError/invalidProgram(_:_:)`` for a layout BLAS cannot read.
    init(left: StridedLayout, right: StridedLayout, leftCount: Int, rightCount: Int, output: TensorType,
         device: DeviceID) throws(BackendError) {
        guard left.isMatrixReadable, right.isMatrixReadable else {
            throw .invalidProgram(device, .malformedGraph(function: "matmul", reason: "an operand's matrices have no unit stride"))
        }
        let rank = output.rank
        let (m, n) = (output.shape[rank - 2], output.shape[rank - 1])
        let k = left.shape[left.shape.rank - 1]
        // The stride along an axis of size 1 is never stepped, so it is set to what BLAS accepts for
        // the other axis's layout: a [1, k] view of a column read row-major, a [m, 1] one column-major.
        func matrixStrides(_ layout: StridedLayout) -> (row: Int, column: Int) {
            let rank = layout.shape.rank
            let (rows, columns) = (layout.shape[rank - 2], layout.shape[rank - 1])
            var (row, column) = (layout.strides[rank - 2], layout.strides[rank - 1])
            if rows <= 1 { row = column == 1 ? max(1, columns) : 1 }
            if columns <= 1 { column = row == 1 ? max(1, rows) : 1 }
            return (row, column)
        }
        leftStrides = matrixStrides(left)
        rightStrides = matrixStrides(right)
        // What BLAS checks of a leading dimension, checked here: a call it rejects computes nothing.
        // Empty products never reach BLAS.
        func isLegal(_ strides: (row: Int, column: Int), rows: Int, columns: Int) -> Bool {
            guard rows > 0, columns > 0 else { return true }
            return strides.column == 1 ? strides.row >= max(1, columns) : strides.row == 1 && strides.column >= max(1, rows)
        }
        guard output.elementCount == 0 || (isLegal(leftStrides, rows: output.shape[output.rank - 2], columns: k)
                                           && isLegal(rightStrides, rows: k, columns: output.shape[output.rank - 1])) else {
            throw .invalidProgram(device, .malformedGraph(function: "matmul", reason: "an operand's leading dimension is not one BLAS accepts"))
        }
        let batchShape = Shape(Array(output.shape.dimensions.dropLast(2)))
        let leftBatch = Array(left.shape.dimensions.dropLast(2))
        let rightBatch = Array(right.shape.dimensions.dropLast(2))
        dtype = output.dtype
        columns = n
        depth = k
        self.leftCount = leftCount
        self.rightCount = rightCount
        outputCount = output.elementCount
        if rightBatch.reduce(1, *) == 1, leftBatch.reduce(1, *) == batchShape.elementCount, left.isRowMajor {
            rows = batchShape.elementCount * m
            offsets = [(left.offset, right.offset)]
        } else {
            rows = m
            let batchStrides = batchShape.strides
            func offset(_ layout: StridedLayout, _ batch: [Int], _ batchIndex: [Int]) -> Int {
                let skipped = batchIndex.count - batch.count
                var offset = layout.offset
                for (axis, size) in batch.enumerated() where size != 1 { offset += batchIndex[axis + skipped] * layout.strides[axis] }
                return offset
            }
            offsets = (0..<batchShape.elementCount).map { batch in
                var index = [Int](repeating: 0, count: batchStrides.count)
                var remainder = batch
                for (axis, stride) in batchStrides.enumerated() {
                    index[axis] = remainder / stride
                    remainder %= stride
                }
                return (offset(left, leftBatch, index), offset(right, rightBatch, index))
            }
        }
        let packs = rightStrides.column != 1 && n > 1
        tiled = TiledGEMM.prefers(rows: m, columns: n, depth: k) && (!packs || k <= TiledGEMM.maximumPackedDepth)
            ? TiledGEMM.shared : nil
        for dimension in [rows, n, k, leftStrides.row, leftStrides.column, rightStrides.row, rightStrides.column]
            where blasint(exactly: dimension) == nil {
            throw .notImplemented(device, "matmul \(left.shape) x \(right.shape): dimension \(dimension) exceeds OpenBLAS's 32-bit integers")
        }
    }

    /// Scratch the run needs: `f32` copies of both operands and the result for `f16`/`bf16`.
    var scratchByteCount: Int {
        dtype == .f16 || dtype == .bf16 ? (Self.aligned(leftCount) + Self.aligned(rightCount) + Self.aligned(outputCount)) * 4 : 0
    }

    /// Computes `output = left x right`; `scratch` holds ``scratchByteCount`` bytes, 64-byte aligned.
    func run(left: UnsafeRawPointer, right: UnsafeRawPointer, output: UnsafeMutableRawPointer,
             scratch: UnsafeMutableRawPointer, pool: WorkerPool) {
        switch dtype {
        case .f32:
            multiply(left.assumingMemoryBound(to: Float.self), right.assumingMemoryBound(to: Float.self),
                     output.assumingMemoryBound(to: Float.self), pool: pool)
        case .f16, .bf16:
            let wideLeft = scratch.assumingMemoryBound(to: Float.self)
            let wideRight = wideLeft + Self.aligned(leftCount)
            let wideOutput = wideRight + Self.aligned(rightCount)
            Self.widen(left, dtype: dtype, count: leftCount, into: wideLeft, pool: pool)
            Self.widen(right, dtype: dtype, count: rightCount, into: wideRight, pool: pool)
            multiply(wideLeft, wideRight, wideOutput, pool: pool)
            Self.narrow(wideOutput, count: outputCount, to: dtype, into: output, pool: pool)
        case .i32:
            multiplyIntegers(left.assumingMemoryBound(to: Int32.self), right.assumingMemoryBound(to: Int32.self),
                             output.assumingMemoryBound(to: Int32.self), pool: pool)
        case .bool:
            preconditionFailure("GEMMPlan: the shape rule rejects bool matmul")
        }
    }

    private func multiply(_ left: UnsafePointer<Float>, _ right: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let (rows, columns, depth, offsets, leftStrides, rightStrides) = (rows, columns, depth, offsets, leftStrides, rightStrides)
        let product = rows * columns
        let split = GEMMSplit(products: offsets.count, rows: rows, columns: columns, depth: depth, threads: pool.threadCount)
        pool.parallelFor(0..<split.taskCount, minimumChunk: split.minimumChunk) { tasks in
            for task in tasks {
                let batch = task / split.blocksPerProduct
                let (rowRange, columnRange) = split.block(task % split.blocksPerProduct)
                let (i, j) = (rowRange.lowerBound, columnRange.lowerBound)
                multiply(rows: rowRange.count, columns: columnRange.count,
                         left: left + offsets[batch].left + i * leftStrides.row,
                         right: right + offsets[batch].right + j * rightStrides.column,
                         output: output + batch * product + i * columns + j)
            }
        }
    }

    /// One product's block of `rows x columns` on the calling thread, in the tiled loops or OpenBLAS.
    func multiply(rows: Int, columns: Int, left: UnsafePointer<Float>, right: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        if let tiled, depth > 0 {
            tiled.multiply(rows: rows, columns: columns, depth: depth, left: left, strides: leftStrides, right: right,
                           strides: rightStrides, output: output, outputStride: self.columns)
        } else {
            Self.sgemm(rows: rows, columns: columns, depth: depth, left: left, strides: leftStrides, right: right,
                       strides: rightStrides, output: output, outputStride: self.columns)
        }
    }

    private func multiplyIntegers(_ left: UnsafePointer<Int32>, _ right: UnsafePointer<Int32>, _ output: UnsafeMutablePointer<Int32>, pool: WorkerPool) {
        let (rows, columns, depth, offsets, leftStrides, rightStrides) = (rows, columns, depth, offsets, leftStrides, rightStrides)
        let product = rows * columns
        pool.parallelFor(0..<offsets.count, minimumChunk: max(1, Self.singleThreadedWork / max(1, product * depth))) { batches in
            for batch in batches {
                let a = left + offsets[batch].left, b = right + offsets[batch].right, c = output + batch * product
                c.update(repeating: 0, count: product)
                for i in 0..<rows {
                    for p in 0..<depth {
                        let scale = a[i * leftStrides.row + p * leftStrides.column]
                        for j in 0..<columns { c[i * columns + j] &+= scale &* b[p * rightStrides.row + j * rightStrides.column] }
                    }
                }
            }
        }
    }

    /// One `sgemm` of matrices stored with the given row and column strides (one of each pair 1),
    /// read with BLAS's transpose flag where the column stride is not.
    static func sgemm(rows: Int, columns: Int, depth: Int, left: UnsafePointer<Float>, strides leftStrides: (row: Int, column: Int),
                      right: UnsafePointer<Float>, strides rightStrides: (row: Int, column: Int),
                      output: UnsafeMutablePointer<Float>, outputStride: Int) {
        let transposesLeft = leftStrides.column != 1, transposesRight = rightStrides.column != 1
        sgemm(rows: rows, columns: columns, depth: depth,
              left: left, leftStride: transposesLeft ? leftStrides.column : leftStrides.row, transposesLeft: transposesLeft,
              right: right, rightStride: transposesRight ? rightStrides.column : rightStrides.row, transposesRight: transposesRight,
              output: output, outputStride: outputStride)
    }

    /// One row-major `sgemm`, `output = op(left) x op(right)` where `op` transposes when asked, with
    /// strides (leading dimensions) in elements; a zero depth writes zeros.
    static func sgemm(rows: Int, columns: Int, depth: Int, left: UnsafePointer<Float>, leftStride: Int, transposesLeft: Bool = false,
                      right: UnsafePointer<Float>, rightStride: Int, transposesRight: Bool = false,
                      output: UnsafeMutablePointer<Float>, outputStride: Int) {
        guard rows > 0, columns > 0 else { return }
        guard depth > 0 else {
            for row in 0..<rows { (output + row * outputStride).update(repeating: 0, count: columns) }
            return
        }
        cblas_sgemm(CblasRowMajor, transposesLeft ? CblasTrans : CblasNoTrans, transposesRight ? CblasTrans : CblasNoTrans,
                    blasint(rows), blasint(columns), blasint(depth),
                    1, left, blasint(leftStride), right, blasint(rightStride), 0, output, blasint(outputStride))
    }

    /// ``sgemm(rows:columns:depth:left:leftStride:transposesLeft:right:rightStride:transposesRight:output:outputStride:)``
    /// of untransposed operands, cut into blocks by ``GEMMSplit`` and run over `pool`.
    static func sgemm(rows: Int, columns: Int, depth: Int, left: UnsafePointer<Float>, leftStride: Int,
                      right: UnsafePointer<Float>, rightStride: Int, output: UnsafeMutablePointer<Float>, outputStride: Int,
                      pool: WorkerPool) {
        let split = GEMMSplit(products: 1, rows: rows, columns: columns, depth: depth, threads: pool.threadCount)
        pool.parallelFor(0..<split.taskCount, minimumChunk: split.minimumChunk) { tasks in
            for task in tasks {
                let (rowRange, columnRange) = split.block(task)
                let (i, j) = (rowRange.lowerBound, columnRange.lowerBound)
                sgemm(rows: rowRange.count, columns: columnRange.count, depth: depth, left: left + i * leftStride, leftStride: leftStride,
                      right: right + j, rightStride: rightStride, output: output + i * outputStride + j, outputStride: outputStride)
            }
        }
    }

    /// Element counts rounded up to whole cache lines of `f32`s, so each scratch array starts 64-byte aligned.
    static func aligned(_ count: Int) -> Int { (count + 15) & ~15 }

    /// Widens 16-bit floats into `f32` scratch, in parallel for large tensors.
    static func widen(_ source: UnsafeRawPointer, dtype: DType, count: Int, into target: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        pool.parallelFor(0..<count, minimumChunk: 1 << 16) { range in
            HalfPrecision.widen(source + range.lowerBound * 2, dtype: dtype, count: range.count, into: target + range.lowerBound)
        }
    }

    /// Rounds `f32` scratch to 16-bit floats, in parallel for large tensors.
    static func narrow(_ source: UnsafePointer<Float>, count: Int, to dtype: DType, into target: UnsafeMutableRawPointer, pool: WorkerPool) {
        pool.parallelFor(0..<count, minimumChunk: 1 << 16) { range in
            HalfPrecision.narrow(source + range.lowerBound, count: range.count, to: dtype, into: target + range.lowerBound * 2)
        }
    }
}
