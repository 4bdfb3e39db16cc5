import KernelIR

/// Lowers a schedule to a ``TileProgram`` for one profile: contractions to matrix-unit tiles
/// (``MatrixLowering``), loop and reduction kernels to vector-unit tiles, each with its modeled cost.
struct TileLowering {
    let profile: DeviceProfile
    let numerics: DeviceNumerics
    let device: DeviceID

    init(profile: DeviceProfile) {
        self.profile = profile
        numerics = DeviceNumerics(profile: profile)
        device = profile.deviceID
    }

    var model: CostModel { CostModel(profile: profile) }

    /// The tile program of `schedule`.
    /// - Throws: ``BackendError/tileDoesNotFit(_:kernel:buffer:required:capacity:tile:)`` for a
    ///   kernel whose smallest tile overflows a buffer, ``BackendError/invalidProgram(_:_:)`` for a
    ///   contraction kernel without a matmul or convolution.
    func lower(_ schedule: Schedule) throws(BackendError) -> TileProgram {
        var kernels: [KernelTiles] = []
        for (index, kernel) in schedule.kernels.enumerated() {
            kernels.append(try lower(kernel, index: index))
        }
        return TileProgram(device: device, profileID: profile.id, kernels: kernels, cost: RunCost(kernels, clockHz: profile.clockHz))
    }

    func lower(_ kernel: Kernel, index: Int) throws(BackendError) -> KernelTiles {
        guard kernel.kind == .contraction else { return try vectorTiles(kernel, index: index) }
        let lowering = MatrixLowering(profile: profile, numerics: numerics, model: model, device: device)
        return try lowering.lower(try problem(of: kernel), name: kernel.body.name, index: index)
    }

    /// The GEMM a contraction kernel computes, with the bytes the cost model charges.
    func problem(of kernel: Kernel) throws(BackendError) -> MatrixLowering.Problem {
        guard let parts = kernel.contractionParts, parts.operandInputs.count == 2 else {
            throw .invalidProgram(device, .malformedGraph(function: kernel.body.name, reason: "contraction kernel without a matmul or convolution"))
        }
        let body = kernel.body
        let (left, right) = (body.type(of: Value(index: parts.operandInputs[0])), body.type(of: Value(index: parts.operandInputs[1])))
        let result = parts.type
        let outputType = body.resultTypes[0]
        let shape: GEMMShape
        let isConvolution: Bool
        switch parts.op {
        case .convolution(let attributes):
            let spatial = left.rank - 2
            let outputs = result.shape[result.rank - 1]
            let groups = Swift.max(attributes.groups, 1)
            let taps = right.shape.dimensions.prefix(spatial).reduce(1, *)
            shape = GEMMShape(batch: groups, m: result.elementCount / Swift.max(outputs, 1), n: outputs / groups,
                              k: taps * left.shape[left.rank - 1] / groups)
            isConvolution = true
        default:
            let (m, n) = (result.shape[result.rank - 2], result.shape[result.rank - 1])
            shape = GEMMShape(batch: result.shape.dimensions.dropLast(2).reduce(1, *), m: m, n: n, k: left.shape[left.rank - 1])
            isConvolution = false
        }
        let (leftBytes, rightBytes, outputBytes) = (left.dtype.byteCount, right.dtype.byteCount, outputType.dtype.byteCount)
        let operandInputs = Set(parts.operandInputs)
        let extra = body.parameters.enumerated().filter { !operandInputs.contains($0.offset) }.reduce(0) { $0 + model.storedBytes($1.element.type) }
        let epilogueFLOPs = parts.epilogue?.flops ?? 0
        let epilogueDType = outputType.dtype.isFloatingPoint ? numerics.carriedDType(for: outputType.dtype) : .f32
        let verb = isConvolution ? "conv" : "matmul"
        return MatrixLowering.Problem(
            operation: "\(verb) \(left) x \(right) -> \(outputType)", shape: shape, operandDType: left.dtype,
            precision: numerics.precision(for: left.dtype, convolution: isConvolution),
            leftBytes: leftBytes, rightBytes: rightBytes, outputBytes: outputBytes,
            leftStored: model.storedBytes(rows: shape.m, columns: shape.k, elementBytes: leftBytes),
            rightStored: model.storedBytes(rows: shape.k, columns: shape.n, elementBytes: rightBytes),
            outputStored: model.storedBytes(rows: shape.m, columns: shape.n, elementBytes: outputBytes),
            extraInputBytes: extra, epilogueFLOPs: epilogueFLOPs, epilogueDType: epilogueDType)
    }

    /// On-chip bytes a double-buffered vector tile may take at most (est.): enough that each DMA
    /// moves megabytes, not the whole of a 128 MiB VMEM.
    static let vectorTileBudget = 4 << 20

    /// An elementwise or reduction kernel split into vector tiles: the largest multiple of the
    /// vector granule (at most one unit's share of the iteration space) whose inputs and output fit
    /// the vector buffer (and ``vectorTileBudget``) twice over, or once when twice does not fit.
    /// Its cost is §5 Level 0, `t₀ + max(F / P_vector, Q / W)`, or `t₀ + F / P_vector + Q / W`
    /// single-buffered.
    /// - Throws: ``BackendError/tileDoesNotFit(_:kernel:buffer:required:capacity:tile:)`` when one
    ///   granule does not fit.
    func vectorTiles(_ kernel: Kernel, index: Int) throws(BackendError) -> KernelTiles {
        let body = kernel.body
        let elements = (body.parameters.map(\.type.elementCount) + body.instructions.map(\.type.elementCount)).max() ?? 0
        let traffic = body.parameters.reduce(0) { $0 + model.storedBytes($1.type) } + body.resultTypes.reduce(0) { $0 + model.storedBytes($1) }
        let bytesPerElement = Double(traffic) / Double(Swift.max(elements, 1))
        let vector = profile.vector
        let granule = Swift.max(1, vector.granuleBytes / 4)
        let capacity = profile.buffer(named: vector.buffer)
        let capacityBytes = capacity?.bytes ?? 0
        // Two copies of each tile overlap transfers with compute; one copy when two do not fit.
        let single = Int((Double(granule) * bytesPerElement).rounded(.up))
        guard single <= capacityBytes else {
            throw .tileDoesNotFit(device, kernel: body.name, buffer: vector.buffer, required: single, capacity: capacityBytes,
                                  tile: "\(granule) elements of \(body.parameters.count) inputs and 1 output, single-buffered")
        }
        let copies = 2 * single <= capacityBytes ? 2 : 1
        func needed(_ tile: Int) -> Int { copies * Int((Double(tile) * bytesPerElement).rounded(.up)) }
        let share = roundedUp(Swift.max(ceilingDivision(elements, vector.units), 1), to: granule)
        let budget = Swift.min(capacityBytes, Self.vectorTileBudget)
        let fitting = Int(Double(budget) / (Double(copies) * Swift.max(bytesPerElement, 1e-9))) / granule * granule
        let tile = Swift.max(granule, Swift.min(share, fitting))
        // The vector rate of the narrowest dtype only when every float op is carried in it.
        let carried = Set(body.instructions.map(\.type.dtype).filter(\.isFloatingPoint).map(numerics.carriedDType(for:)))
        let computeDType = carried.count == 1 ? carried.first ?? .f32 : .f32
        let flops = kernel.flops
        let vectorTime = model.vectorTime(flops, computing: computeDType)
        let dmaTime = model.transferTime(Double(traffic))
        let time = profile.launchOverhead + (copies == 2 ? Swift.max(vectorTime, dmaTime) : vectorTime + dmaTime)
        let cost = KernelCost(launch: profile.launchOverhead, fill: 0, matrixTime: 0, vectorTime: vectorTime, dmaTime: dmaTime, time: time,
                              cycles: time * profile.clockHz, hbmBytes: traffic, matrixFLOPs: 0, paddedFLOPs: 0, vectorFLOPs: flops,
                              peak: 0, paddingWaste: 0, lastWaveIdle: 0, overlapsTransfers: copies == 2)
        let tiles = VectorTiles(elements: elements, tileElements: tile, tileCount: ceilingDivision(elements, tile), units: vector.units,
                                bytesPerElement: bytesPerElement, computeDType: computeDType, isReduction: kernel.kind == .reduction)
        let use = BufferUse(buffer: vector.buffer, role: "input and output tiles", bytes: needed(tile), capacity: capacityBytes,
                            per: capacity?.per ?? "core", isDoubleBuffered: copies == 2)
        return KernelTiles(index: index, name: body.name, kind: kernel.kind, work: .vector(tiles), buffers: [use], cost: cost)
    }
}
