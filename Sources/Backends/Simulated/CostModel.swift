import KernelIR

/// The modeled cost of one kernel (accelerators.md §5). Times are in seconds and *modeled*.
public struct KernelCost: Hashable, Sendable {
    /// Launch overhead, `t₀`.
    public var launch: Double
    /// Pipeline fill: the first block's inputs and the last block's output, which double
    /// buffering cannot hide (Level 3); zero for vector kernels (Level 0).
    public var fill: Double
    /// Matrix-unit time, with padding, wave quantization and (TPU) MXU occupancy.
    public var matrixTime: Double
    /// Vector-unit time: the whole kernel, or a contraction's epilogue.
    public var vectorTime: Double
    /// HBM traffic time, `Q / W`.
    public var dmaTime: Double
    /// The modeled kernel time: `t₀ + fill + max(matrix, vector, dma)`, or `t₀ + max(matrix, vector) + dma`
    /// when the tiles are single-buffered.
    public var time: Double
    /// `time ×` the profile's clock.
    public var cycles: Double
    /// Bytes moved between HBM and on-chip memory, `Q` (with HBM layout padding and re-reads).
    public var hbmBytes: Int
    /// Useful matrix FLOPs, `F` (0 for vector kernels).
    public var matrixFLOPs: Int
    /// Matrix FLOPs after padding to the native tile, `F̂`.
    public var paddedFLOPs: Int
    /// Vector operations.
    public var vectorFLOPs: Int
    /// The matrix peak `P(d)` for this kernel's operands, FLOP/s.
    public var peak: Double
    /// `1 − F / F̂`.
    public var paddingWaste: Double
    /// The idle fraction of the last wave of blocks over the units.
    public var lastWaveIdle: Double
    /// Whether double buffering overlaps HBM transfers with compute (false when only
    /// single-buffered tiles fit; then `time` adds the two).
    public var overlapsTransfers: Bool

    /// `F / (time · P(d))`: how close the kernel comes to the matrix unit's peak.
    public var utilization: Double { time > 0 && peak > 0 ? Double(matrixFLOPs) / (time * peak) : 0 }

    /// Time the slower of compute and DMA hides of the faster (none without double buffering).
    public var overlap: Double { overlapsTransfers ? Swift.min(Swift.max(matrixTime, vectorTime), dmaTime) : 0 }

    /// What bounds the kernel.
    public var bound: Bound {
        let busy = Swift.max(matrixTime, vectorTime, dmaTime)
        if launch + fill > busy { return .launch }
        if dmaTime >= Swift.max(matrixTime, vectorTime) { return .memory }
        return matrixTime >= vectorTime ? .matrix : .vector
    }

    /// What bounds a kernel's modeled time.
    public enum Bound: String, Hashable, Sendable {
        /// Launch overhead and pipeline fill exceed the work.
        case launch
        /// HBM traffic.
        case memory
        /// The matrix unit.
        case matrix
        /// The vector unit.
        case vector
    }
}

/// The modeled cost of one run of a schedule: its kernels one after another.
public struct RunCost: Hashable, Sendable {
    /// Modeled seconds.
    public var time: Double
    /// Modeled cycles at the profile's clock.
    public var cycles: Double
    /// Bytes moved between HBM and on-chip memory.
    public var hbmBytes: Int
    /// Useful matrix FLOPs.
    public var matrixFLOPs: Int
    /// Vector operations.
    public var vectorFLOPs: Int
    /// Seconds of launch overhead.
    public var launchTime: Double
    /// `Σ F/P(d)` over kernels ÷ time: the fraction of the run the matrix unit would be busy at peak.
    public var utilization: Double
    /// Kernels, and how many are bound by each resource.
    public var kernelCount: Int
    /// Kernels by what bounds them.
    public var bounds: [KernelCost.Bound: Int]
    /// The largest use of each on-chip buffer by any kernel, in bytes per instance.
    public var peakOnChip: [String: Int]

    /// The totals of `kernels`.
    public init(_ kernels: [KernelTiles], clockHz: Double) {
        time = kernels.reduce(0) { $0 + $1.cost.time }
        cycles = time * clockHz
        hbmBytes = kernels.reduce(0) { $0 + $1.cost.hbmBytes }
        matrixFLOPs = kernels.reduce(0) { $0 + $1.cost.matrixFLOPs }
        vectorFLOPs = kernels.reduce(0) { $0 + $1.cost.vectorFLOPs }
        launchTime = kernels.reduce(0) { $0 + $1.cost.launch }
        let busy = kernels.reduce(0.0) { $0 + ($1.cost.peak > 0 ? Double($1.cost.matrixFLOPs) / $1.cost.peak : 0) }
        utilization = time > 0 ? busy / time : 0
        kernelCount = kernels.count
        bounds = Dictionary(kernels.map { ($0.cost.bound, 1) }, uniquingKeysWith: +)
        var peaks: [String: Int] = [:]
        for kernel in kernels {
            for entry in kernel.peakOnChip { peaks[entry.buffer] = Swift.max(peaks[entry.buffer] ?? 0, entry.bytes) }
        }
        peakOnChip = peaks
    }
}

/// The profile-dependent formulas of the cost model: peaks, HBM layout padding, times.
struct CostModel: Sendable {
    let profile: DeviceProfile

    /// `P(d)`: the matrix unit's rate for operands entering as `precision` (§5 "Peak per dtype");
    /// `nil` precision (i32) is charged at the fp32 rate.
    func matrixPeak(_ precision: MatrixPrecision?) -> Double {
        let peaks = profile.peakFLOPS
        let sixteen = peaks.bf16 ?? peaks.fp16
        let fp32 = peaks.fp32 ?? (sixteen ?? 0) / 4
        switch precision {
        case .native?, .hf32?, nil: return fp32
        case .bf16x1?, .bf16x3?, .bf16x6?:
            guard let precision else { return fp32 }
            return (peaks.bf16 ?? fp32) / Double(precision.passes)
        case .tf32?: return sixteen ?? fp32
        case .fp16?: return peaks.fp16 ?? fp32
        }
    }

    /// Bytes a `rows × columns` matrix of `elementBytes`-byte elements occupies when moved
    /// between HBM and on-chip memory (§5 "Storage padding"): TPU arrays are stored in (r, 128)
    /// tiles (r = 8, or 32 for 1-byte types), Ascend moves rows in 32-byte units, Trainium is unpadded.
    func storedBytes(rows: Int, columns: Int, elementBytes: Int) -> Int {
        switch profile.family {
        case .tpu:
            let sublanes = elementBytes == 1 ? 32 : 8
            return roundedUp(rows, to: sublanes) * roundedUp(columns, to: 128) * elementBytes
        case .ascend:
            return rows * roundedUp(columns * elementBytes, to: profile.alignmentBytes ?? 32)
        case .trainium:
            return rows * columns * elementBytes
        }
    }

    /// Stored bytes of a tensor: its last dimension is the matrix's columns, the one before its rows.
    /// A vector or scalar on a TPU fills whole (8 × 128)-element tiles, as XLA lays 1-d arrays out.
    func storedBytes(_ type: TensorType) -> Int {
        let dimensions = type.shape.dimensions
        let elementBytes = type.dtype.byteCount
        if dimensions.count < 2, profile.family == .tpu {
            return roundedUp(Swift.max(type.elementCount, 1), to: (elementBytes == 1 ? 32 : 8) * 128) * elementBytes
        }
        let columns = dimensions.last ?? 1
        let rows = dimensions.count >= 2 ? dimensions[dimensions.count - 2] : 1
        let leading = dimensions.dropLast(2).reduce(1, *)
        return leading * storedBytes(rows: rows, columns: columns, elementBytes: elementBytes)
    }

    /// Seconds to move `bytes` between HBM and on-chip memory.
    func transferTime(_ bytes: Double) -> Double { bytes / profile.bandwidth }

    /// Seconds the vector unit takes for `operations` computed in `dtype`.
    func vectorTime(_ operations: Int, computing dtype: DType) -> Double {
        Double(operations) / profile.vector.peak(computing: dtype)
    }
}

/// `value` rounded up to a multiple of `unit` (≥ 1).
func roundedUp(_ value: Int, to unit: Int) -> Int {
    let unit = Swift.max(unit, 1)
    return (value + unit - 1) / unit * unit
}

/// `⌈value / divisor⌉` for positive divisors.
func ceilingDivision(_ value: Int, _ divisor: Int) -> Int { (value + divisor - 1) / Swift.max(divisor, 1) }
