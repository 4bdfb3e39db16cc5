import KernelIR

/// Renders loop and reduction kernels as C-family source, one function per kernel, in a
/// ``Dialect``: C for the CPU backend, OpenCL C for GPUs. Each op's expression is written once
/// (``ScalarLowering``); the dialect supplies only what differs between the languages.
///
/// A function computes the output elements whose row-major offsets lie in `[begin, end)`. On the
/// CPU (`void NAME(void *const *buffers, long begin, long end)`, `buffers` holding the kernel's
/// inputs in order and then its output) the renderer picks the loop shape:
/// - a kernel that reads every buffer at its own offset is one flat SIMD loop over `i`;
/// - any other loop kernel is a loop over rows of its innermost non-unit axis with a SIMD loop
///   inside, so broadcast and permuted reads cost index arithmetic once per row;
/// - a reduction loops over output elements, with one loop per run of adjacent reduced axes
///   inside, the innermost a SIMD reduction, accumulating float sums in `double`.
/// In OpenCL each work item computes one output element.
public struct CFamilyRenderer: Sendable {
    /// The language written.
    public var dialect: Dialect
    /// The device named in errors.
    public var device: DeviceID

    /// Creates a renderer.
    public init(dialect: Dialect, device: DeviceID) {
        self.dialect = dialect
        self.device = device
    }

    /// One translation unit holding a function for every kernel; identical kernels share one function.
    /// - Throws: ``BackendError/notImplemented(_:_:)`` for a contraction kernel (render its
    ///   ``Kernel/contractionParts`` epilogue instead) or a body op a loop cannot hold.
    public func translationUnit(for kernels: [Kernel]) throws(BackendError) -> TranslationUnit {
        var nameOfText: [String: String] = [:]
        var definitions: [String] = []
        var names: [String] = []
        for kernel in kernels {
            let text = try function(for: kernel)
            if let existing = nameOfText[text] {
                names.append(existing)
                continue
            }
            let name = "acc_k\(definitions.count)_" + Self.identifier(kernel.body.name)
            nameOfText[text] = name
            definitions.append(text.replacingOccurrences(of: Self.functionNameToken, with: name))
            names.append(name)
        }
        let source = dialect.preamble + dialect.helpers + dialect.mathHelpers + definitions.joined(separator: "\n")
        return TranslationUnit(source: source, functionNames: names)
    }

    /// Stands for the function's name while it is rendered, so identical kernels render identically.
    static let functionNameToken = "ACC_FUNCTION"

    /// `name` with every character C does not allow in identifiers replaced by `_`.
    static func identifier(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    }

    /// The function (and the tables before it) for one kernel, named ``functionNameToken``.
    func function(for kernel: Kernel) throws(BackendError) -> String {
        switch kernel.kind {
        case .loop: return try loopFunction(kernel)
        case .reduction: return try reductionFunction(kernel)
        case .contraction:
            throw .notImplemented(device, "kernel '\(kernel.body.name)' is a contraction; render its epilogue (Kernel.contractionParts) as a loop")
        }
    }

    func buffers(of kernel: Kernel) -> [BufferParameter] {
        let outputIsRead = kernel.inputs.contains(kernel.output)
        var buffers = kernel.body.parameters.enumerated().map { position, parameter in
            BufferParameter(name: "in\(position)", storageType: dialect.storageType(parameter.type.dtype), isWritten: false,
                            isRestricted: position >= kernel.inputs.count || kernel.inputs[position] != kernel.output)
        }
        buffers.append(BufferParameter(name: "out", storageType: dialect.storageType(kernel.body.resultTypes[0].dtype),
                                       isWritten: true, isRestricted: !outputIsRead))
        return buffers
    }

    func lowering(_ kernel: Kernel, levels: Int) -> ScalarLowering {
        var lowering = ScalarLowering(body: kernel.body, dialect: dialect, device: device, tablePrefix: Self.functionNameToken, levels: levels)
        lowering.relaxedExponentials = kernel.relaxedExponentials
        return lowering
    }

    func assemble(_ kernel: Kernel, tables: [String], statements: [String]) -> String {
        let buffers = buffers(of: kernel)
        var lines = tables
        lines.append(dialect.signature(name: Self.functionNameToken, buffers: buffers) + " {")
        var depth = 1
        for statement in dialect.bufferBindings(buffers) + statements {
            if statement.hasPrefix("}") { depth -= 1 }
            let indent = statement.hasPrefix("#") ? "" : String(repeating: "    ", count: depth)
            lines.append(indent + statement)
            if statement.hasSuffix("{") { depth += 1 }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Loops

    /// Rows and columns of the tiles a strided (transposing) loop kernel runs in.
    static let transposeTile = 16

    /// Outputs at least this large (beyond the last-level cache) are written with streaming stores.
    static let streamingStoreBytes = 32 << 20

    /// A flat f32 loop whose output is written with streaming (non-temporal) stores, 16 elements at
    /// a time, so a result too large for the caches is not read into them before it is overwritten:
    /// the loop then moves the bytes a memory copy moves. Elements before a 64-byte boundary and
    /// after the last whole block are stored one by one.
    private func streamingLoop(_ flat: ScalarLowering, stored: String) -> [String] {
        flat.blocks[0] + [
            "for (long i_block = begin; i_block < end;) {",
            "if ((i_block & 15) == 0 && i_block + 16 <= end) {",
            "float lanes[16];",
            "#pragma omp simd",
            "for (long lane = 0; lane < 16; ++lane) {",
            "const long i = i_block + lane;",
        ] + flat.blocks[1] + [
            "lanes[lane] = \(stored);",
            "}",
            "acc_stream_16(out + i_block, lanes);",
            "i_block += 16;",
            "} else {",
            "const long i = i_block;",
        ] + flat.blocks[1] + [
            "out[i] = \(stored);",
            "i_block += 1;",
            "}",
            "}",
            "acc_stream_fence();",
        ]
    }

    private func loopFunction(_ kernel: Kernel) throws(BackendError) -> String {
        let body = kernel.body
        let type = body.resultTypes[0]
        let shape = type.shape
        let root = body.results[0]
        let flatIndex = IndexExpression(IndexExpression.Variable(name: "i", extent: type.elementCount, level: 1))
        var flat = lowering(kernel, levels: 2)
        let result = try flat.value(root, at: IndexExpression.decomposed(flatIndex, in: shape))
        let readsOwnOffset = flat.indexUses.allSatisfy { $0.constantValue != nil || $0.isVariable(named: "i") }
        guard dialect.ownsElementLoop, !readsOwnOffset, let innerAxis = shape.dimensions.lastIndex(where: { $0 > 1 }) else {
            let stored = flat.stored(result.text, type.dtype)
            if dialect.ownsElementLoop, type.dtype == .f32, type.byteCount >= Self.streamingStoreBytes {
                return assemble(kernel, tables: flat.tables, statements: streamingLoop(flat, stored: stored))
            }
            let statements = flat.blocks[0] + dialect.openParallelIndex("i", isVectorized: true) + flat.blocks[1]
                + ["out[i] = \(stored);", "}"]
            return assemble(kernel, tables: flat.tables, statements: statements)
        }
        // Rows of the trailing axes from the innermost non-unit one: o counts rows, c runs along the row.
        // Short rows take in the axes before them while every read stays contiguous along c, so a
        // permute that keeps small inner blocks together (a patchify) loops over runs, not triples.
        var firstColumnAxis = innerAxis
        var (index, rows) = try rowIndex(kernel, firstColumnAxis: innerAxis)
        while Self.columnCount(shape, from: firstColumnAxis) < Self.shortRow, firstColumnAxis > 0 {
            let wider = try rowIndex(kernel, firstColumnAxis: firstColumnAxis - 1)
            guard wider.rows.indexUses.allSatisfy({ $0.isContiguous(along: "c") }) else { break }
            firstColumnAxis -= 1
            (index, rows) = wider
        }
        let extent = Self.columnCount(shape, from: firstColumnAxis)
        let element = try rows.value(root, at: index)
        let offset = IndexExpression.linearized(index, in: shape)
        let store = "out[\(offset)] = \(rows.stored(element.text, type.dtype));"
        let pragma = dialect.simdPragma().map { [$0] } ?? []
        var statements = rows.blocks[0]
        statements.append("for (long i = begin; i < end;) {")
        // A row reading memory with a stride along c (a transpose) runs in square tiles when whole
        // rows are in range, so each cache line read serves a tile's rows.
        let readsAcrossColumns = rows.indexUses.contains(where: { !$0.isContiguous(along: "c") })
        if readsAcrossColumns, firstColumnAxis == innerAxis, let segmented = try segmentedRowLoop(kernel, innerAxis: innerAxis) {
            return segmented
        }
        let tile = Self.transposeTile
        if readsAcrossColumns && type.elementCount / extent >= tile {
            statements += [
                "const long o_first = i / \(extent);",
                "if (i == o_first * \(extent) && (o_first + \(tile)) * \(extent) <= end) {",
                "for (long c_tile = 0; c_tile < \(extent); c_tile += \(tile)) {",
                "const long c_stop = c_tile + \(tile) < \(extent) ? c_tile + \(tile) : \(extent);",
                "for (long o = o_first; o < o_first + \(tile); ++o) {",
            ]
            statements += rows.blocks[1] + pragma + ["for (long c = c_tile; c < c_stop; ++c) {"] + rows.blocks[2]
            statements += [store, "}", "}", "}", "i += \(tile) * \(extent);", "continue;", "}"]
        }
        statements += Self.rowBounds(extent: extent)
        statements += rows.blocks[1] + pragma + ["for (long c = c_begin; c < c_end; ++c) {"] + rows.blocks[2]
        statements += [store, "}", "i = o * \(extent) + c_end;", "}"]
        return assemble(kernel, tables: rows.tables, statements: statements)
    }
}

extension CFamilyRenderer {
    /// Rows shorter than this try to take in the axes before them (``loopFunction``).
    static let shortRow = 16

    /// The elements of `shape` from axis `first` on: the length of a row that starts there.
    static func columnCount(_ shape: Shape, from first: Int) -> Int {
        shape.dimensions[first...].reduce(1, *)
    }

    /// The output index of a kernel whose rows are the axes from `firstColumnAxis` on (row `o`,
    /// column `c`), with a lowering that has evaluated the kernel's result there.
    func rowIndex(_ kernel: Kernel, firstColumnAxis: Int) throws(BackendError) -> (index: [IndexExpression], rows: ScalarLowering) {
        let shape = kernel.body.resultTypes[0].shape
        let column = IndexExpression(IndexExpression.Variable(name: "c", extent: Self.columnCount(shape, from: firstColumnAxis), level: 2))
        let index = Self.rowIndex(in: shape, firstColumnAxis: firstColumnAxis, column: column)
        var rows = lowering(kernel, levels: 3)
        _ = try rows.value(kernel.body.results[0], at: index)
        return (index, rows)
    }

    /// The index into `shape` of element `column` of row `o`, rows being the axes from `firstColumnAxis` on.
    static func rowIndex(in shape: Shape, firstColumnAxis: Int, column: IndexExpression) -> [IndexExpression] {
        let row = IndexExpression(IndexExpression.Variable(name: "o", extent: shape.elementCount / columnCount(shape, from: firstColumnAxis), level: 1))
        return IndexExpression.decomposed(row, in: Shape(Array(shape.dimensions[..<firstColumnAxis])))
            + IndexExpression.decomposed(column, in: Shape(Array(shape.dimensions[firstColumnAxis...])))
    }

    /// Statements starting one pass of a row loop at flat index `i`: its row `o` and the columns
    /// `c_begin..<c_end` of it that lie in the range `begin..<end`.
    static func rowBounds(extent: Int) -> [String] {
        [
            "const long o = i / \(extent);",
            "const long c_begin = i - o * \(extent);",
            "const long c_end = end - o * \(extent) < \(extent) ? end - o * \(extent) : \(extent);",
        ]
    }
}

/// Source for a group of kernels, and which function runs each.
public struct TranslationUnit: Hashable, Sendable {
    /// The complete source: preamble, helpers, then the functions.
    public var source: String
    /// The function that runs each kernel given, in order; identical kernels share a name.
    public var functionNames: [String]
}
