/// A matmul run one slice at a time, for ``SliceGroup``: slice `g` of `n` is the `g`-th of `n` equal
/// runs of the result's rows, counted over all products in order, so it is also the `g`-th of `n`
/// equal runs of the result's elements.
extension GEMMPlan {
    /// Rows of every product together: what slices cut.
    private var rowCount: Int { offsets.count * rows }

    /// Whether `slices` cut the result into equal runs of whole rows this plan can compute alone
    /// (`f32` only: the 16-bit paths share one scratch among all rows).
    func isSliceable(into slices: Int) -> Bool {
        dtype == .f32 && slices > 0 && columns > 0 && rowCount > 0 && rowCount % slices == 0
    }

    /// Calls `body` with each product's rows that fall in slice `slice` of `slices`.
    private func forEachPiece(ofSlice slice: Int, of slices: Int, _ body: (_ product: Int, _ rows: Range<Int>) -> Void) {
        let (first, end) = (slice * rowCount / slices, (slice + 1) * rowCount / slices)
        var unit = first
        while unit < end {
            let (product, row) = (unit / rows, unit % rows)
            let last = min(rows, row + end - unit)
            body(product, row..<last)
            unit += last - row
        }
    }

    /// The lowest and highest element of each operand's buffer that slice `slice` of `slices` reads,
    /// or `nil` for an operand it reads nothing of.
    func operandSpans(ofSlice slice: Int, of slices: Int) -> (left: ClosedRange<Int>?, right: ClosedRange<Int>?) {
        guard depth > 0 else { return (nil, nil) }
        var left: ClosedRange<Int>?, right: ClosedRange<Int>?
        func widen(_ span: inout ClosedRange<Int>?, _ low: Int, _ high: Int) {
            span = span.map { min($0.lowerBound, low)...max($0.upperBound, high) } ?? low...high
        }
        forEachPiece(ofSlice: slice, of: slices) { product, rowRange in
            let (l, r) = (offsets[product].left, offsets[product].right)
            widen(&left, l + rowRange.lowerBound * leftStrides.row,
                  l + (rowRange.upperBound - 1) * leftStrides.row + (depth - 1) * leftStrides.column)
            widen(&right, r, r + (depth - 1) * rightStrides.row + (columns - 1) * rightStrides.column)
        }
        return (left, right)
    }

    /// Computes slice `slice` of `slices` of `output = left x right` on the calling thread.
    func runSlice(_ slice: Int, of slices: Int, left: UnsafeRawPointer, right: UnsafeRawPointer, output: UnsafeMutableRawPointer) {
        let (left, right, output) = (left.assumingMemoryBound(to: Float.self), right.assumingMemoryBound(to: Float.self),
                                     output.assumingMemoryBound(to: Float.self))
        let product = rows * columns
        forEachPiece(ofSlice: slice, of: slices) { batch, rowRange in
            let row = rowRange.lowerBound
            multiply(rows: rowRange.count, columns: columns, left: left + offsets[batch].left + row * leftStrides.row,
                     right: right + offsets[batch].right, output: output + batch * product + row * columns)
        }
    }
}
