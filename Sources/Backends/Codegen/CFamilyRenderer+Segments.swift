import KernelIR

extension CFamilyRenderer {
    /// The most segments a row is cut into, which bounds how many copies of the body a kernel holds.
    static let maximumSegments = 16

    /// A loop kernel whose rows are cut into equal segments of columns, each rendered on its own, or
    /// `nil` when no cut makes every read contiguous along the row.
    ///
    /// Pads, concatenations and head reshapes make a row read different inputs, or the same input at
    /// different offsets, in different stretches of columns: the q, k and v gradients of attention
    /// assembled into one `[batch, tokens, 3 * width]` gradient are such a row. Rendered for the whole
    /// row, every element clamps its index, selects between the pieces and divides by the head width,
    /// so the loop gathers. Rendered for a stretch in which the column's bounds are known (the lowering
    /// works from ``IndexExpression/bounds``), pads and concatenations resolve to one piece, clamps and
    /// divisions fold away, and each segment's loop reads and writes contiguous runs.
    ///
    /// Widths are tried from the widest that divides the row; the first under which every segment's
    /// reads are contiguous in the column wins.
    func segmentedRowLoop(_ kernel: Kernel, innerAxis: Int) throws(BackendError) -> String? {
        let type = kernel.body.resultTypes[0]
        let shape = type.shape
        let extent = shape[innerAxis]
        let widths = (1..<extent).reversed().filter { extent % $0 == 0 && extent / $0 <= Self.maximumSegments }
        for width in widths {
            var statements: [String] = []
            var isContiguous = true
            for start in stride(from: 0, to: extent, by: width) {
                let column = IndexExpression(IndexExpression.Variable(name: "c", extent: width, level: 2)) + start
                let index = Self.rowIndex(in: shape, firstColumnAxis: innerAxis, column: column)
                var segment = lowering(kernel, levels: 3)
                let element = try segment.value(kernel.body.results[0], at: index)
                guard segment.tables.isEmpty, segment.indexUses.allSatisfy({ $0.isContiguous(along: "c") }) else {
                    isContiguous = false
                    break
                }
                let offset = IndexExpression.linearized(index, in: shape)
                let first = start == 0 ? "c_begin" : "c_begin > \(start) ? c_begin - \(start) : 0"
                let last = start == 0 ? "c_end < \(width) ? c_end : \(width)" : "c_end - \(start) < \(width) ? c_end - \(start) : \(width)"
                statements += ["if (c_begin < \(start + width) && c_end > \(start)) {"] + segment.blocks[0] + segment.blocks[1] + [
                    "const long c_first = \(first);",
                    "const long c_last = \(last);",
                ] + (dialect.simdPragma().map { [$0] } ?? []) + ["for (long c = c_first; c < c_last; ++c) {"]
                    + segment.blocks[2] + ["out[\(offset)] = \(segment.stored(element.text, type.dtype));", "}", "}"]
            }
            guard isContiguous else { continue }
            let loop = ["for (long i = begin; i < end;) {"] + Self.rowBounds(extent: extent) + statements + ["i = o * \(extent) + c_end;", "}"]
            return assemble(kernel, tables: [], statements: loop)
        }
        return nil
    }
}
