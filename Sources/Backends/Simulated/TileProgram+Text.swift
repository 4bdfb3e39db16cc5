import KernelIR

extension TileProgram {
    /// The program as text (`acctl compile --emit tiles`): a modeled summary, then each kernel's
    /// padding, blocks, on-chip buffers, the loop of DMA and compute steps, and its modeled cost.
    public var text: String {
        var lines = ["tile program for \(device) (profile \(profileID)): \(kernels.count) kernels; every time below is MODELED, not measured"]
        lines.append("modeled run: \(TextFormat.duration(cost.time)) (\(Int(cost.cycles.rounded())) cycles), HBM traffic \(TextFormat.bytes(cost.hbmBytes)), "
                     + "\(cost.matrixFLOPs) matrix FLOPs at \(TextFormat.percent(cost.utilization)) of peak, launch overhead \(TextFormat.duration(cost.launchTime))")
        let bounds = [KernelCost.Bound.matrix, .vector, .memory, .launch].map { "\(cost.bounds[$0] ?? 0) \($0.rawValue)" }
        lines.append("kernels bound by: " + bounds.joined(separator: ", "))
        lines.append("peak on-chip use: " + cost.peakOnChip.sorted { $0.key < $1.key }.map { "\($0.key) \(TextFormat.bytes($0.value))" }.joined(separator: ", "))
        for kernel in kernels { lines += kernel.textLines }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension KernelTiles {
    var textLines: [String] {
        var lines: [String] = []
        switch work {
        case let .matrix(tiles):
            lines.append("kernel #\(index) \(kind.rawValue) '\(name)': \(tiles.operation)")
            lines += tiles.textLines
        case let .vector(tiles):
            lines.append("kernel #\(index) \(kind.rawValue) '\(name)': vector unit, \(cost.vectorFLOPs) operations")
            lines += tiles.textLines
        }
        for use in buffers {
            lines.append("  \(use.buffer): \(use.role) \(TextFormat.bytes(use.bytes)) of \(TextFormat.bytes(use.capacity)) per \(use.per)"
                         + (use.isDoubleBuffered ? " (double-buffered)" : ""))
        }
        let cost = self.cost
        let (matrix, vector, dma) = (TextFormat.duration(cost.matrixTime), TextFormat.duration(cost.vectorTime), TextFormat.duration(cost.dmaTime))
        let formula = cost.overlapsTransfers
            ? "launch \(TextFormat.duration(cost.launch)) + fill \(TextFormat.duration(cost.fill)) + max(matrix \(matrix), vector \(vector), dma \(dma)); overlap \(TextFormat.duration(cost.overlap))"
            : "launch \(TextFormat.duration(cost.launch)) + max(matrix \(matrix), vector \(vector)) + dma \(dma) (single-buffered: no overlap)"
        lines.append("  modeled: \(TextFormat.duration(cost.time)) = \(formula); \(Int(cost.cycles.rounded())) cycles; HBM \(TextFormat.bytes(cost.hbmBytes)); "
                     + "\(cost.bound.rawValue)-bound"
                     + (cost.matrixFLOPs > 0 ? "; utilization \(TextFormat.percent(cost.utilization)), padding waste \(TextFormat.percent(cost.paddingWaste))" : ""))
        return lines
    }
}

extension MatrixTiles {
    var textLines: [String] {
        let operands = precision.map { "operands enter as \($0.rawValue)" } ?? "i32 operands, exact accumulation"
        var lines = ["  \(operands), fp32 accumulate; GEMM \(problem) padded to \(padded) (tile \(tile.m)x\(tile.n)x\(tile.k))"]
        var grid = "  blocks \(block.m)x\(block.n)x\(block.k): \(blockCount) over \(units) unit(s) in \(waves) wave(s)"
        if let stageDepth { grid += ", L1 stage depth \(stageDepth)" }
        if let workItems { grid += ", \(workItems) MXU work item(s) per block (\(Swift.min(workItems, 4)) of 4 MXUs busy)" }
        lines.append(grid)
        let rowBlocks = ceilingDivision(padded.m, block.m), columnBlocks = ceilingDivision(padded.n, block.n)
        let depthSteps = ceilingDivision(padded.k, block.k)
        lines.append("  for b in 0..<\(problem.batch), i in 0..<\(rowBlocks), j in 0..<\(columnBlocks):   # blocks round-robin over units")
        lines.append("    for kk in 0..<\(depthSteps):                 # next A, B tiles load while this one multiplies")
        lines.append("      dma HBM -> on-chip  A[b, i, kk]  \(block.m)x\(block.k) \(operandDType)")
        lines.append("      dma HBM -> on-chip  B[b, kk, j]  \(block.k)x\(block.n) \(operandDType)")
        lines.append("      matrix  acc[i, j] += A · B        # k-tiles of \(tile.k), summed in ascending k")
        if epilogueOps > 0 { lines.append("    vector  epilogue, \(epilogueOps) op(s) per element") }
        lines.append("    dma on-chip -> HBM  C[b, i, j]  \(block.m)x\(block.n)")
        return lines
    }
}

extension VectorTiles {
    var textLines: [String] {
        [
            "  \(elements) elements in \(tileCount) tile(s) of \(tileElements) over \(units) vector unit(s); \(TextFormat.number(bytesPerElement, digits: 2)) bytes per element; computed in \(computeDType)",
            "  for t in 0..<\(tileCount):                  # next tile loads while this one computes",
            "    dma HBM -> on-chip  inputs[t]",
            isReduction ? "    vector  fused ops, then fp32 sums in 128-element chunks combined pairwise" : "    vector  fused ops",
            "    dma on-chip -> HBM  output[t]",
        ]
    }
}
