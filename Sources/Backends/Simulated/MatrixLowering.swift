import KernelIR

/// Lowers a contraction kernel to matrix-unit tiles (accelerators.md §5):
/// - Level 1: pads the GEMM to the native tile (Ascend 16×16×(32 B / operand size), TPU 8×128×128,
///   Trainium 128 rows and depth, N in chunks of at most 512 each costing at least 64 columns);
/// - Level 2: tries every block (b_m, b_n, b_k), multiples of the tile growing by powers of two up
///   to the padded size, keeps those whose double-buffered tiles fit the family's on-chip buffers
///   (single-buffered ones, without overlap, when no double-buffered block fits),
///   and splits the padded GEMM into balanced blocks shared round-robin by the units;
/// - Level 3: models `t₀ + fill + max(matrix, vector epilogue, Q / W)` and keeps the largest
///   block within 1% of the fastest.
/// On Ascend, operand re-reads are served by the chip's L2 when both operands fit in it (est.):
/// without it, L0C's 128 KiB accumulator limit would make every large GEMM bandwidth-bound, which
/// measured 910B GEMMs (328 of 354 TFLOP/s [A14]) are not.
/// A convolution is its implicit im2col GEMM per group; its left operand is charged as the
/// streamed im2col matrix (an upper bound on its traffic).
struct MatrixLowering {
    let profile: DeviceProfile
    let numerics: DeviceNumerics
    let model: CostModel
    let device: DeviceID

    /// What the cost model needs of one contraction kernel.
    struct Problem {
        var operation: String
        var shape: GEMMShape
        var operandDType: DType
        var precision: MatrixPrecision?
        var leftBytes: Int
        var rightBytes: Int
        var outputBytes: Int
        /// HBM bytes of one read of each operand and one write of the output, per batch item.
        var leftStored: Int
        var rightStored: Int
        var outputStored: Int
        /// HBM bytes of the epilogue's other inputs.
        var extraInputBytes: Int
        var epilogueFLOPs: Int
        var epilogueDType: DType
    }

    /// A candidate block's fit and cost.
    struct Candidate {
        var block: GEMMShape
        var stageDepth: Int?
        var buffers: [BufferUse]
        var cost: KernelCost
        var blockCount: Int
        var waves: Int
        var workItems: Int?
    }

    /// The tiles of `problem`, the fastest block that fits.
    /// - Throws: ``BackendError/tileDoesNotFit(_:kernel:buffer:required:capacity:tile:)`` when not
    ///   even one native tile fits, naming the buffer and the sizes.
    func lower(_ problem: Problem, name: String, index: Int) throws(BackendError) -> KernelTiles {
        let unitBytes = problem.precision?.unitBytes ?? 4
        let (padded, tile) = padding(problem.shape, unitBytes: unitBytes)
        // Double-buffered blocks first; only when none fits, single-buffered ones, whose transfers
        // no longer overlap compute.
        var firstMisfit: (buffer: String, required: Int, capacity: Int)?
        var chosen: Candidate?
        for doubleBuffered in [true, false] where chosen == nil {
            var fitting: [Candidate] = []
            firstMisfit = nil
            for bm in candidates(tile: tile.m, padded: padded.m) {
                for bn in columnCandidates(tile: tile.n, padded: padded.n) {
                    for bk in candidates(tile: tile.k, padded: padded.k) {
                        let block = GEMMShape(batch: 1, m: bm, n: bn, k: bk)
                        switch fit(block, problem, padded: padded, unitBytes: unitBytes, doubleBuffered: doubleBuffered) {
                        case let .failure(misfit):
                            if firstMisfit == nil { firstMisfit = (misfit.buffer, misfit.required, misfit.capacity) }
                        case let .success((buffers, stageDepth)):
                            fitting.append(evaluate(block, stageDepth: stageDepth, buffers: buffers, problem, padded: padded,
                                                    doubleBuffered: doubleBuffered))
                        }
                    }
                }
            }
            chosen = choose(fitting)
        }
        guard let best = chosen else {
            let misfit = firstMisfit ?? (profile.family.requiredBuffers[0], 0, 0)
            throw .tileDoesNotFit(device, kernel: name, buffer: misfit.buffer, required: misfit.required, capacity: misfit.capacity,
                                  tile: "\(tile.m)x\(tile.n)x\(tile.k) \(problem.operandDType) block, single-buffered")
        }
        let tiles = MatrixTiles(operation: problem.operation, problem: problem.shape, padded: padded, tile: tile, block: best.block,
                                stageDepth: best.stageDepth, operandDType: problem.operandDType, precision: problem.precision,
                                blockCount: best.blockCount, units: units, waves: best.waves, workItems: best.workItems,
                                epilogueOps: problem.shape.m * problem.shape.n * problem.shape.batch > 0
                                    ? problem.epilogueFLOPs / (problem.shape.m * problem.shape.n * problem.shape.batch) : 0)
        return KernelTiles(index: index, name: name, kind: .contraction, work: .matrix(tiles), buffers: best.buffers, cost: best.cost)
    }

    /// Units sharing blocks: Ascend cube cores and NeuronCores; a TPU's one TensorCore (its MXUs
    /// are the occupancy factor's business).
    var units: Int { profile.family == .tpu ? 1 : Swift.max(profile.computeUnitCount, 1) }

    /// The padded dimensions and the native tile (§5 Level 1).
    func padding(_ shape: GEMMShape, unitBytes: Int) -> (padded: GEMMShape, tile: GEMMShape) {
        let native = profile.matrixTile
        let tile: GEMMShape
        switch profile.family {
        case .ascend: tile = GEMMShape(m: native.m, n: native.n, k: Swift.max(1, (profile.alignmentBytes ?? 32) / unitBytes))
        case .tpu, .trainium: tile = GEMMShape(m: native.m, n: native.n, k: native.k)
        }
        let m = roundedUp(Swift.max(shape.m, 1), to: tile.m)
        let k = roundedUp(Swift.max(shape.k, 1), to: tile.k)
        let n: Int
        switch profile.family {
        case .ascend, .tpu:
            n = roundedUp(Swift.max(shape.n, 1), to: tile.n)
        case .trainium:
            // N is a per-instruction maximum, not a padding unit: each chunk costs at least 64 columns.
            let remainder = shape.n % tile.n
            n = shape.n / tile.n * tile.n + (remainder > 0 ? Swift.max(remainder, Self.trainiumMinimumColumns) : 0)
        }
        return (GEMMShape(batch: shape.batch, m: m, n: Swift.max(n, 1), k: k), tile)
    }

    /// A Trainium matmul instruction costs at least this many moving columns (§4: ≈ max(N, 64) cycles).
    static let trainiumMinimumColumns = 64

    private func candidates(tile: Int, padded: Int) -> [Int] {
        var result: [Int] = []
        var size = tile
        while size < padded {
            result.append(size)
            size *= 2
        }
        return result + [padded]
    }

    private func columnCandidates(tile: Int, padded: Int) -> [Int] {
        guard profile.family == .trainium, padded <= tile else { return candidates(tile: tile, padded: padded) }
        return [padded]
    }

    private struct Misfit: Error {
        var buffer: String
        var required: Int
        var capacity: Int
    }

    private func capacity(_ name: String) -> (bytes: Int, per: String) {
        profile.buffer(named: name).map { ($0.bytes, $0.per) } ?? (0, "core")
    }

    /// The block's on-chip use per role, or the first buffer whose total it overflows (§5 Level 2).
    private func fit(_ block: GEMMShape, _ problem: Problem, padded: GEMMShape, unitBytes: Int, doubleBuffered: Bool)
        -> Result<(buffers: [BufferUse], stageDepth: Int?), Misfit> {
        var uses: [BufferUse] = []
        let copies = doubleBuffered ? 2 : 1
        /// A role of `bytes` per copy; streamed roles take two copies when double-buffered.
        func use(_ buffer: String, _ role: String, _ bytes: Int, double: Bool) {
            let (capacity, per) = capacity(buffer)
            let isDoubled = double && doubleBuffered
            uses.append(BufferUse(buffer: buffer, role: role, bytes: isDoubled ? 2 * bytes : bytes, capacity: capacity, per: per, isDoubleBuffered: isDoubled))
        }
        let (bm, bn, bk) = (block.m, block.n, block.k)
        var stageDepth: Int?
        switch profile.family {
        case .ascend:
            use("L0A", "A fractals", bm * bk * unitBytes, double: true)
            use("L0B", "B fractals", bk * bn * unitBytes, double: true)
            let accumulator = bm * bn * 4
            let doubled = doubleBuffered && 2 * accumulator <= capacity("L0C").bytes
            use("L0C", "fp32 accumulator", accumulator, double: doubled)
            // L1 stages a deeper slice of A and B (b_k1, a multiple of b_k) for several L0 loads.
            let stagedBytes = Swift.max(problem.leftBytes, problem.rightBytes)
            var stage = bk
            while stage * 2 <= padded.k, copies * (bm + bn) * stage * 2 * stagedBytes <= capacity("L1").bytes { stage *= 2 }
            use("L1", "A and B stages", (bm + bn) * stage * stagedBytes, double: true)
            stageDepth = stage
        case .tpu:
            use("VMEM", "A blocks", bm * bk * problem.leftBytes, double: true)
            use("VMEM", "B blocks", bk * bn * problem.rightBytes, double: true)
            use("VMEM", "fp32 accumulator", bm * bn * 4, double: false)
            use("VMEM", "output blocks", bm * bn * problem.outputBytes, double: true)
        case .trainium:
            let depthChunks = ceilingDivision(bk, profile.matrixTile.k)
            use("SBUF_partition", "A (stationary) and B (moving) tiles", depthChunks * (bm * problem.leftBytes + bn * problem.rightBytes), double: true)
            use("PSUM_partition", "fp32 accumulator", ceilingDivision(bm, profile.matrixTile.m) * bn * 4, double: false)
        }
        var order: [String] = []
        for use in uses where !order.contains(use.buffer) { order.append(use.buffer) }
        for buffer in order {
            let total = uses.filter { $0.buffer == buffer }.reduce(0) { $0 + $1.bytes }
            let available = capacity(buffer).bytes
            if total > available { return .failure(Misfit(buffer: buffer, required: total, capacity: available)) }
        }
        return .success((uses, stageDepth))
    }

    /// The modeled cost of computing `padded` in blocks of `block` (§5 Levels 2–3).
    func evaluate(_ block: GEMMShape, stageDepth: Int?, buffers: [BufferUse], _ problem: Problem, padded: GEMMShape,
                  doubleBuffered: Bool = true) -> Candidate {
        let shape = problem.shape
        let isEmpty = shape.m == 0 || shape.n == 0 || shape.batch == 0
        let (rowBlocks, columnBlocks) = (ceilingDivision(padded.m, block.m), ceilingDivision(padded.n, block.n))
        let blockCount = isEmpty ? 0 : shape.batch * rowBlocks * columnBlocks
        let waves = ceilingDivision(blockCount, units)
        // Balanced blocks: the padded extent split evenly over the blocks along it.
        let (rows, columns) = (Double(padded.m) / Double(rowBlocks), Double(padded.n) / Double(columnBlocks))
        let peak = model.matrixPeak(problem.precision)
        var matrixTime = Double(waves) * 2 * rows * columns * Double(padded.k) / (peak / Double(units))
        var workItems: Int?
        if profile.family == .tpu {
            // §5: w independent 128-wide work items per block keep min(4, w) of the 4 MXUs busy (est.).
            let items = ceilingDivision(block.m, 128) * ceilingDivision(block.k, 128) * ceilingDivision(block.n, 128)
            workItems = items
            matrixTime *= 4 / Double(Swift.min(4, items))
        }
        // Q of §5 Level 2: A is re-read once per column of blocks, B once per row. On Ascend the
        // chip's L2 (192 MiB) serves the re-reads when both operands fit in it (est.; §5 has no cache term).
        let cachesRereads = profile.family == .ascend && profile.buffer(named: "L2").map { problem.leftStored + problem.rightStored <= $0.bytes } == true
        let (leftReads, rightReads) = cachesRereads ? (1, 1) : (columnBlocks, rowBlocks)
        let traffic = isEmpty ? problem.extraInputBytes + shape.batch * problem.outputStored
            : shape.batch * (problem.leftStored * leftReads + problem.rightStored * rightReads + problem.outputStored) + problem.extraInputBytes
        let fillBytes = isEmpty ? 0 : rows * Double(block.k) * Double(problem.leftBytes) + Double(block.k) * columns * Double(problem.rightBytes)
            + rows * columns * Double(problem.outputBytes)
        let vectorTime = model.vectorTime(problem.epilogueFLOPs, computing: problem.epilogueDType)
        let (fill, dmaTime) = (model.transferTime(fillBytes), model.transferTime(Double(traffic)))
        // Double buffering hides all but the fill; without it every transfer waits for compute.
        let time = doubleBuffered ? profile.launchOverhead + fill + Swift.max(matrixTime, vectorTime, dmaTime)
            : profile.launchOverhead + Swift.max(matrixTime, vectorTime) + dmaTime
        let inLastWave = blockCount - (waves - 1) * units
        let cost = KernelCost(launch: profile.launchOverhead, fill: doubleBuffered ? fill : 0, matrixTime: matrixTime, vectorTime: vectorTime, dmaTime: dmaTime,
                              time: time, cycles: time * profile.clockHz, hbmBytes: traffic, matrixFLOPs: shape.flops,
                              paddedFLOPs: isEmpty ? 0 : padded.flops, vectorFLOPs: problem.epilogueFLOPs, peak: peak,
                              paddingWaste: isEmpty || padded.flops == 0 ? 0 : 1 - Double(shape.flops) / Double(padded.flops),
                              lastWaveIdle: blockCount == 0 ? 0 : Double(units - inLastWave) / Double(units), overlapsTransfers: doubleBuffered)
        return Candidate(block: block, stageDepth: stageDepth, buffers: buffers, cost: cost, blockCount: blockCount, waves: waves, workItems: workItems)
    }

    /// The largest output block (then the deepest, then the least traffic) among the blocks within
    /// ``timeSlack`` of the fastest: the model has no per-block overhead, so among near-equal
    /// times a compiler's preference for fewer, larger blocks decides.
    private func choose(_ candidates: [Candidate]) -> Candidate? {
        guard let fastest = candidates.map(\.cost.time).min() else { return nil }
        return candidates.filter { $0.cost.time <= fastest * (1 + Self.timeSlack) }.max { a, b in
            let (areaA, areaB) = (a.block.m * a.block.n, b.block.m * b.block.n)
            if areaA != areaB { return areaA < areaB }
            if a.block.k != b.block.k { return a.block.k < b.block.k }
            return a.cost.hbmBytes > b.cost.hbmBytes
        }
    }

    /// How much slower than the fastest block a larger block may be and still be chosen.
    static let timeSlack = 0.01
}
