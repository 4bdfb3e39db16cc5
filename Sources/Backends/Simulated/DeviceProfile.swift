import KernelIR

/// The facts a simulated accelerator is built from: one profile JSON file (accelerators.md,
/// `Simulated/Profiles/*.json`, or a user's file under `ACC_SIM_PROFILES`).
///
/// Every figure is in SI base units (FLOP/s, bytes, bytes/s, seconds). The fields mirror the
/// reference profiles; the `simulator` object adds what the cost model and numerics need beyond
/// them (family, clock, vector unit, rounding quirks), each with its source in the file's notes.
public struct DeviceProfile: Hashable, Sendable {
    /// The profile's id; the device is `sim:<id>`.
    public var id: String
    /// The hardware's name.
    public var name: String
    /// Who makes it.
    public var vendor: String
    /// Where the figures come from.
    public var sourceURLs: [String]
    /// Dense matrix-unit peaks by operand format, in FLOP/s; `nil` where the unit has no native path.
    public var peakFLOPS: PeakRates
    /// HBM size in bytes.
    public var memoryBytes: Int
    /// HBM bandwidth in bytes/s.
    public var bandwidth: Double
    /// The on-chip memories.
    public var onChip: [OnChipBuffer]
    /// What `compute_units` counts (`ai_core`, `mxu`, `neuron_core`).
    public var computeUnitKind: String
    /// How many of them there are.
    public var computeUnitCount: Int
    /// The matrix unit's native tile (m, n, k) and the operand formats it takes.
    public var matrixTile: MatrixTile
    /// The alignment unit in bytes, where published.
    public var alignmentBytes: Int?
    /// How f32 matmul operands are fed to the matrix unit.
    public var fp32Matmul: MatrixPrecision
    /// How f32 convolution operands are fed to the matrix unit.
    public var fp32Convolution: MatrixPrecision
    /// Fixed cost of one kernel launch in seconds (an estimate on every profile).
    public var launchOverhead: Double
    /// The chip-to-chip link, for data-parallel estimates.
    public var interconnect: Interconnect
    /// Which tiling and capacity rules apply (accelerators.md §5).
    public var family: Family
    /// The matrix unit's clock in Hz: modeled cycles are modeled time × this.
    public var clockHz: Double
    /// Whether converting f32 to bf16 flushes subnormal inputs to zero (TPU, §6 rule 1).
    public var bf16FlushesSubnormals: Bool
    /// The vector unit that runs elementwise and reduction kernels.
    public var vector: VectorUnit
    /// The reference notes, then the simulator's notes.
    public var notes: String
    /// The file the profile was read from.
    public var file: String

    /// The tiling and capacity rules of one accelerator family (accelerators.md §5, Levels 1–2).
    public enum Family: String, Hashable, Sendable, CaseIterable {
        /// DaVinci cube cores: L0A/L0B/L0C/L1 per core, 16-element fractals.
        case ascend
        /// One TensorCore with MXUs: VMEM blocks, (8, 128) tiles.
        case tpu
        /// NeuronCores: SBUF and PSUM partitions, 128-row systolic array.
        case trainium

        /// The on-chip buffers the family's tiling needs, by profile name.
        public var requiredBuffers: [String] {
            switch self {
            case .ascend: ["L0A", "L0B", "L0C", "L1"]
            case .tpu: ["VMEM"]
            case .trainium: ["SBUF_partition", "PSUM_partition"]
            }
        }
    }

    /// Matrix-unit peaks by operand format, in FLOP/s.
    public struct PeakRates: Hashable, Sendable {
        /// fp32 operands at full precision.
        public var fp32: Double?
        /// bf16 operands.
        public var bf16: Double?
        /// fp16 operands.
        public var fp16: Double?
        /// int8 operands (not used by the IR's dtypes; listed for `acctl devices`).
        public var int8: Double?
    }

    /// One on-chip memory.
    public struct OnChipBuffer: Hashable, Sendable {
        /// Its name, e.g. `L0A` or `VMEM`.
        public var name: String
        /// Its size in bytes, per ``per``.
        public var bytes: Int
        /// What one instance belongs to: `core`, `chip`, `partition`, `vector_core`, ...
        public var per: String
    }

    /// The native matrix tile.
    public struct MatrixTile: Hashable, Sendable {
        /// Rows of the left operand per tile.
        public var m: Int
        /// Columns of the right operand per tile.
        public var n: Int
        /// Depth per tile.
        public var k: Int
        /// The operand formats the unit takes (`fp16`, `bf16`, `fp32`, `int8`, ...).
        public var dtypes: [String]
    }

    /// The chip-to-chip link.
    public struct Interconnect: Hashable, Sendable {
        /// Its name, e.g. `ICI`.
        public var name: String
        /// Bandwidth per chip per direction, bytes/s.
        public var bandwidth: Double
        /// How chips are wired.
        public var topology: String
    }

    /// The unit that runs elementwise and reduction kernels, and how it rounds (§6 rule 6).
    public struct VectorUnit: Hashable, Sendable {
        /// The on-chip buffer its tiles live in.
        public var buffer: String
        /// How many vector units share the work.
        public var units: Int
        /// The smallest tile it works on, in bytes.
        public var granuleBytes: Int
        /// Throughput in elementwise operations per second, by compute dtype.
        public var peakFLOPS: PeakRates
        /// The dtype 16-bit float arithmetic is computed in: `.f16` keeps fp16 and rounds after
        /// every op (Ascend); `.f32` computes in fp32 and rounds once when a kernel stores (TPU, Trainium).
        public var computeDType: [DType: DType]

        /// Elementwise operations per second for values computed in `dtype`.
        public func peak(computing dtype: DType) -> Double {
            let rate: Double? = switch dtype {
            case .f16: peakFLOPS.fp16
            case .bf16: peakFLOPS.bf16
            case .f32, .i32, .bool: peakFLOPS.fp32
            }
            return rate ?? peakFLOPS.fp32 ?? 1
        }
    }

    /// The on-chip buffer named `name`, if the profile has one.
    public func buffer(named name: String) -> OnChipBuffer? { onChip.first { $0.name == name } }

    /// The device id this profile opens as.
    public var deviceID: DeviceID { DeviceID("sim:" + id) }
}

/// How a matrix unit is fed operands of a wider format (accelerators.md §5 "Peak per dtype",
/// §6 rules 3–5): the profile's `fp32_matmul` and `fp32_convolution`.
public enum MatrixPrecision: String, Hashable, Sendable, CaseIterable {
    /// fp32 operands as they are, at `peak_flops.fp32`.
    case native
    /// One bf16 pass: operands rounded to bf16 (JAX `Precision.DEFAULT`).
    case bf16x1
    /// Three bf16 passes of split operands (`HIGH`), at a third of the bf16 rate.
    case bf16x3
    /// Six bf16 passes (`HIGHEST`), at a sixth of the bf16 rate.
    case bf16x6
    /// Operands rounded to tf32 (10 explicit mantissa bits), at the bf16 rate.
    case tf32
    /// Operands rounded to HiSilicon's hf32 (11 explicit mantissa bits), at the fp32 rate.
    case hf32
    /// Operands rounded to fp16 (ATC's `force_fp16`), at the fp16 rate.
    case fp16

    /// Bytes one operand element occupies in the matrix unit.
    public var unitBytes: Int {
        switch self {
        case .native, .tf32, .hf32: 4
        case .bf16x1, .bf16x3, .bf16x6, .fp16: 2
        }
    }

    /// How many matrix passes one product takes.
    public var passes: Int {
        switch self {
        case .bf16x3: 3
        case .bf16x6: 6
        case .native, .bf16x1, .tf32, .hf32, .fp16: 1
        }
    }
}
