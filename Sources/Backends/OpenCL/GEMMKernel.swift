import KernelIR

/// Writes the OpenCL C of a tiled GEMM kernel for one ``GEMMProblem`` and ``GEMMTile``, named
/// ``CFamilyRenderer/functionNameToken`` like every rendered kernel, taking the contraction kernel's
/// inputs, its output, and `begin`/`end` (unused; every acc kernel has them).
///
/// Values are computed in `float` (f32, f16, bf16: 16-bit operands are widened as they are read,
/// the sum rounds once) or in wrapping `uint` (i32). The kernel stores each finished element
/// through the fused epilogue helper (``CFamilyRenderer/epilogueElementFunction(_:contractionParameter:contractionType:)``)
/// when there is one, else rounds it to the output's storage type. Work-group: dimension 0 runs
/// over the tile's columns, 1 over its rows, 2 over the products.
struct GEMMKernel {
    var problem: GEMMProblem
    var tile: GEMMTile
    /// Which kernel inputs are the left and right operands.
    var leftInput: Int
    var rightInput: Int
    /// The storage dtypes of the kernel's inputs, in order, and of its output.
    var inputDTypes: [DType]
    var outputDType: DType
    /// The epilogue helper's source (named ``CFamilyRenderer/functionNameToken``), or `nil`.
    var epilogue: String?

    /// The tile as the kernel runs it: a vector tile falls back to scalars (the same columns per
    /// item, fewer per group) unless the product is f32 with a column count the width divides.
    var used: GEMMTile {
        let width = tile.vectorWidth
        guard width > 1 else { return tile }
        if problem.dtype == .f32, inputDTypes[rightInput] == .f32, !tile.usesLocalMemory, problem.columns % width == 0 { return tile }
        var scalar = tile
        scalar.columns = tile.columns / width
        scalar.vectorWidth = 1
        return scalar
    }

    private var dialect: Dialect { .openCL }
    private var name: String { CFamilyRenderer.functionNameToken }
    private var computeType: String { problem.dtype == .i32 ? "uint" : "float" }
    private var zero: String { problem.dtype == .i32 ? "0u" : "0.0f" }

    /// Global and local work sizes.
    var globalSize: [Int] {
        [(problem.columns + used.columns - 1) / used.columns * used.groupWidth,
         (problem.rows + used.rows - 1) / used.rows * used.groupHeight, problem.batch]
    }
    var localSize: [Int] { [used.groupWidth, used.groupHeight, 1] }

    /// The source: operand readers, the epilogue helper, the store helper, then the kernel.
    func source() -> String {
        var lines: [String] = []
        lines += reader(named: "\(name)_left", input: leftInput, variables: "const long b, const long r, const long k", offset: problem.leftOffset())
        lines += reader(named: "\(name)_right", input: rightInput, variables: "const long b, const long k, const long c",
                        offset: (["const long offset = \(problem.rightOffset());"], false))
        lines += ["\(dialect.helperQualifier)long \(name)_right_offset(const long b, const long k, const long c) { return \(problem.rightOffset()); }"]
        if let epilogue { lines.append(epilogue.replacingOccurrences(of: name, with: "\(name)_epilogue")) }
        lines += store()
        lines += kernel()
        return lines.joined(separator: "\n") + "\n"
    }

    private var bufferParameters: [String] {
        inputDTypes.enumerated().map { "__global const \(dialect.storageType($1)) *restrict in\($0)" }
            + ["__global \(dialect.storageType(outputDType)) *restrict out"]
    }

    private var bufferArguments: String { (inputDTypes.indices.map { "in\($0)" } + ["out"]).joined(separator: ", ") }

    /// `static inline T NAME(buffer, b, r|k, k|c)`: an operand element in the compute type.
    private func reader(named function: String, input: Int, variables: String, offset: (statements: [String], padded: Bool)) -> [String] {
        let element = "in[offset]"
        let value = switch inputDTypes[input] {
        case .f16: "acc_f16_to_f32(\(element))"
        case .bf16: "acc_bf16_to_f32(\(element))"
        case .i32: "(uint)\(element)"
        case .f32, .bool: element
        }
        var lines = ["\(dialect.helperQualifier)\(computeType) \(function)(__global const \(dialect.storageType(inputDTypes[input])) *in, \(variables)) {"]
        lines += offset.statements.map { "    " + $0 }
        lines.append("    return \(offset.padded ? "inside ? \(value) : \(zero)" : value);")
        lines.append("}")
        return lines
    }

    private func store() -> [String] {
        let stored: String
        if epilogue != nil {
            stored = "\(name)_epilogue(\(bufferArguments), offset, value);"
        } else {
            let expression = switch outputDType {
            case .f16: "acc_f32_to_f16(value)"
            case .bf16: "acc_f32_to_bf16(value)"
            case .i32: "(int)value"
            case .f32, .bool: "value"
            }
            stored = "out[offset] = \(expression);"
        }
        return ["\(dialect.helperQualifier)void \(name)_store(\(bufferParameters.joined(separator: ", ")), const long b, const long r, const long c, const \(computeType) value) {",
                "    const long offset = \(problem.outputOffset());",
                "    \(stored)",
                "}"]
    }

    private func kernel() -> [String] {
        let (width, height) = (used.groupWidth, used.groupHeight)
        let (m, n, k) = (problem.rows, problem.columns, problem.depth)
        let rowsGuarded = m % used.rows != 0, columnsGuarded = n % used.columns != 0
        let left = "in\(leftInput)", right = "in\(rightInput)"
        let itemRows = 0..<used.itemRows, itemColumns = 0..<used.itemColumns
        // The register block is unrolled into scalars: drivers keep scalars in registers, and a
        // CPU driver vectorizing across work items needs straight-line code.
        var lines = ["__kernel __attribute__((reqd_work_group_size(\(width), \(height), 1)))",
                     "void \(name)(\(bufferParameters.joined(separator: ", ")), const long begin, const long end) {",
                     "    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);",
                     "    const long b = (long)get_group_id(2);",
                     "    const long row0 = (long)get_group_id(1) * \(used.rows) + ty, column0 = (long)get_group_id(0) * \(used.columns) + tx;"]
        for i in itemRows { lines.append("    " + itemColumns.map { "\(computeType) acc\(i)_\($0) = \(zero);" }.joined(separator: " ")) }
        func multiplyAdds(_ indent: String) -> [String] {
            itemRows.map { i in indent + itemColumns.map { "acc\(i)_\($0) += lv\(i) * rv\($0);" }.joined(separator: " ") }
        }
        if used.usesLocalMemory {
            let depthGuarded = k % used.depth != 0
            let threads = used.groupSize
            func guarded(_ conditions: [String], _ value: String) -> String {
                conditions.isEmpty ? value : "(\(conditions.joined(separator: " && "))) ? \(value) : \(zero)"
            }
            lines += [
                "    __local \(computeType) leftTile[\(used.depth)][\(used.rows)];",
                "    __local \(computeType) rightTile[\(used.depth)][\(used.columns)];",
                "    const int tid = ty * \(width) + tx;",
                "    const long tileRow = (long)get_group_id(1) * \(used.rows), tileColumn = (long)get_group_id(0) * \(used.columns);",
                "    for (long k0 = 0; k0 < \(k); k0 += \(used.depth)) {",
                "        for (int l = tid; l < \(used.rows * used.depth); l += \(threads)) {",
                "            const int rr = l / \(used.depth), kk = l % \(used.depth);",
                "            const long r = tileRow + rr, k = k0 + kk;",
                "            leftTile[kk][rr] = \(guarded((rowsGuarded ? ["r < \(m)"] : []) + (depthGuarded ? ["k < \(k)"] : []), "\(name)_left(\(left), b, r, k)"));",
                "        }",
                "        for (int l = tid; l < \(used.depth * used.columns); l += \(threads)) {",
                "            const int kk = l / \(used.columns), cc = l % \(used.columns);",
                "            const long c = tileColumn + cc, k = k0 + kk;",
                "            rightTile[kk][cc] = \(guarded((columnsGuarded ? ["c < \(n)"] : []) + (depthGuarded ? ["k < \(k)"] : []), "\(name)_right(\(right), b, k, c)"));",
                "        }",
                "        barrier(CLK_LOCAL_MEM_FENCE);",
                "        for (int kk = 0; kk < \(used.depth); ++kk) {",
            ]
            lines += itemColumns.map { "            const \(computeType) rv\($0) = rightTile[kk][tx + \($0 * width)];" }
            lines += itemRows.map { "            const \(computeType) lv\($0) = leftTile[kk][ty + \($0 * height)];" }
            lines += multiplyAdds("            ")
            lines += ["        }", "        barrier(CLK_LOCAL_MEM_FENCE);", "    }"]
        } else if used.vectorWidth > 1 {
            let vector = "float\(used.vectorWidth)", step = width * used.vectorWidth
            lines.append("    const long vectorColumn0 = (long)get_group_id(0) * \(used.columns) + tx * \(used.vectorWidth);")
            for i in itemRows { lines.append("    " + itemColumns.map { "\(vector) vacc\(i)_\($0) = (\(vector))(0.0f);" }.joined(separator: " ")) }
            lines.append("    for (long k = 0; k < \(k); ++k) {")
            for j in itemColumns {
                let column = "vectorColumn0 + \(j * step)"
                let read = "vload\(used.vectorWidth)(0, \(right) + \(name)_right_offset(b, k, \(column)))"
                lines.append("        const \(vector) rv\(j) = \(columnsGuarded ? "\(column) < \(n) ? \(read) : (\(vector))(0.0f)" : read);")
            }
            for i in itemRows {
                let read = "\(name)_left(\(left), b, row0 + \(i * height), k)"
                lines.append("        const \(computeType) lv\(i) = \(rowsGuarded ? "row0 + \(i * height) < \(m) ? \(read) : \(zero)" : read);")
            }
            lines += itemRows.map { i in "        " + itemColumns.map { "vacc\(i)_\($0) += lv\(i) * rv\($0);" }.joined(separator: " ") }
            lines.append("    }")
            let lanes = Array("0123456789abcdef").prefix(used.vectorWidth)
            for i in itemRows {
                for j in itemColumns {
                    for (lane, letter) in lanes.enumerated() {
                        lines.append("    const float acc\(i)_\(j)_\(lane) = vacc\(i)_\(j).s\(letter);")
                    }
                }
            }
            lines += storeLines(itemRows: itemRows, itemColumns: itemColumns, lanes: used.vectorWidth, rowsGuarded: rowsGuarded, columnsGuarded: columnsGuarded)
            lines.append("}")
            return lines
        } else {
            lines.append("    for (long k = 0; k < \(k); ++k) {")
            for j in itemColumns {
                let read = "\(name)_right(\(right), b, k, column0 + \(j * width))"
                lines.append("        const \(computeType) rv\(j) = \(columnsGuarded ? "column0 + \(j * width) < \(n) ? \(read) : \(zero)" : read);")
            }
            for i in itemRows {
                let read = "\(name)_left(\(left), b, row0 + \(i * height), k)"
                lines.append("        const \(computeType) lv\(i) = \(rowsGuarded ? "row0 + \(i * height) < \(m) ? \(read) : \(zero)" : read);")
            }
            lines += multiplyAdds("        ")
            lines.append("    }")
        }
        lines += storeLines(itemRows: itemRows, itemColumns: itemColumns, lanes: 1, rowsGuarded: rowsGuarded, columnsGuarded: columnsGuarded)
        lines.append("}")
        return lines
    }

    /// Stores every accumulator (`accI_J`, or `accI_J_L` per lane of vector tiles) through the store helper.
    private func storeLines(itemRows: Range<Int>, itemColumns: Range<Int>, lanes: Int, rowsGuarded: Bool, columnsGuarded: Bool) -> [String] {
        let (width, height) = (used.groupWidth, used.groupHeight)
        var lines: [String] = []
        for i in itemRows {
            for j in itemColumns {
                for lane in 0..<lanes {
                    let r = "row0 + \(i * height)"
                    let c = lanes > 1 ? "vectorColumn0 + \(j * width * lanes + lane)" : "column0 + \(j * width)"
                    let conditions = (rowsGuarded ? ["\(r) < \(problem.rows)"] : []) + (columnsGuarded ? ["\(c) < \(problem.columns)"] : [])
                    let value = lanes > 1 ? "acc\(i)_\(j)_\(lane)" : "acc\(i)_\(j)"
                    let store = "\(name)_store(\(bufferArguments), b, \(r), \(c), \(value));"
                    lines.append("    " + (conditions.isEmpty ? store : "if (\(conditions.joined(separator: " && "))) \(store)"))
                }
            }
        }
        return lines
    }
}
