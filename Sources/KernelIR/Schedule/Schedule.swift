/// A graph after fusion and memory planning (DESIGN.md level 2): an ordered list of kernels over
/// planned buffers. It is backend-neutral, and the only program form a backend ever sees.
public struct Schedule: Hashable, Sendable {
    /// The function's name.
    public var name: String
    /// The function's inputs, in order; buffer `i` holds input `i`.
    public var inputTypes: [TensorType]
    /// Planned buffers after the inputs: their sizes in bytes. Buffer `inputTypes.count + i` is slot `i`.
    public var slotByteCounts: [Int]
    /// The kernels, in execution order.
    public var kernels: [Kernel]
    /// The buffers holding the function's results, in order, with the type each result has there.
    public var outputs: [(buffer: BufferID, type: TensorType)]

    /// Creates a schedule.
    public init(name: String, inputTypes: [TensorType], slotByteCounts: [Int], kernels: [Kernel],
                outputs: [(buffer: BufferID, type: TensorType)]) {
        self.name = name
        self.inputTypes = inputTypes
        self.slotByteCounts = slotByteCounts
        self.kernels = kernels
        self.outputs = outputs
    }

    public static func == (lhs: Schedule, rhs: Schedule) -> Bool {
        lhs.name == rhs.name && lhs.inputTypes == rhs.inputTypes && lhs.slotByteCounts == rhs.slotByteCounts
            && lhs.kernels == rhs.kernels && lhs.outputs.map(\.buffer) == rhs.outputs.map(\.buffer)
            && lhs.outputs.map(\.type) == rhs.outputs.map(\.type)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(kernels)
        hasher.combine(slotByteCounts)
    }

    /// Whether `buffer` is one of the function's inputs rather than a planned slot.
    public func isInput(_ buffer: BufferID) -> Bool { buffer.index < inputTypes.count }

    /// Device memory the planned slots need: the peak, since slots are reused by liveness.
    public var peakBytes: Int { slotByteCounts.reduce(0, +) }

    /// Bytes every kernel reads and writes, summed: the traffic a device's memory sees.
    public var bytesMoved: Int { kernels.reduce(0) { $0 + bytesRead(by: $1) + bytesWritten(by: $1) } }

    /// Floating-point operations of all kernels.
    public var flops: Int { kernels.reduce(0) { $0 + $1.flops } }

    /// Bytes `kernel` reads from its input buffers.
    public func bytesRead(by kernel: Kernel) -> Int { kernel.body.parameters.reduce(0) { $0 + $1.type.byteCount } }

    /// Bytes `kernel` writes.
    public func bytesWritten(by kernel: Kernel) -> Int { kernel.body.resultTypes.reduce(0) { $0 + $1.byteCount } }
}
