import KernelIR

/// What a device reports about itself, for `acctl devices` and for choosing tolerances and tiles.
public struct DeviceInfo: Hashable, Sendable, Codable {
    /// The stable id, e.g. `cpu:0`.
    public var id: String
    /// The backend family, e.g. `cpu`.
    public var backend: String
    /// The hardware's name, e.g. the CPU model.
    public var name: String
    /// Cores, compute units or matrix units, as the backend counts them.
    public var computeUnits: Int
    /// Memory the device can allocate from, in bytes.
    public var memoryBytes: Int
    /// Memory free now, in bytes, where the backend can tell.
    public var freeMemoryBytes: Int?
    /// Peak f32 throughput in GFLOP/s, where known.
    public var peakGFLOPS: Double?
    /// Peak memory bandwidth in GB/s, where known.
    public var peakBandwidthGBps: Double?
    /// The dtypes the device computes in.
    public var dtypes: [String]
    /// The NUMA node the device's memory lives on, for CPU devices.
    public var numaNode: Int?
    /// Whether the device is simulated (its timings are modeled, not measured).
    public var isSimulated: Bool
    /// Further facts as `key: value` (SIMD features, caches, driver version, ...).
    public var details: [String: String]

    /// Creates a description.
    public init(id: String, backend: String, name: String, computeUnits: Int, memoryBytes: Int, freeMemoryBytes: Int? = nil,
                peakGFLOPS: Double? = nil, peakBandwidthGBps: Double? = nil, dtypes: [DType], numaNode: Int? = nil,
                isSimulated: Bool = false, details: [String: String] = [:]) {
        self.id = id
        self.backend = backend
        self.name = name
        self.computeUnits = computeUnits
        self.memoryBytes = memoryBytes
        self.freeMemoryBytes = freeMemoryBytes
        self.peakGFLOPS = peakGFLOPS
        self.peakBandwidthGBps = peakBandwidthGBps
        self.dtypes = dtypes.map(\.rawValue)
        self.numaNode = numaNode
        self.isSimulated = isSimulated
        self.details = details
    }
}

/// An opened device (`cpu:0`, `opencl:0`, `sim:tpu-v5e`): it owns memory and a queue.
///
/// Every method is safe to call from any thread.
public protocol Device: AnyObject, Sendable {
    /// The device's id.
    var id: DeviceID { get }
    /// What the device reports about itself.
    var info: DeviceInfo { get }
    /// A new buffer of `byteCount` bytes, uninitialised.
    /// - Throws: ``BackendError/allocationTooLarge(_:requested:maximum:)`` or ``BackendError/outOfMemory(_:requested:available:)``.
    func allocate(byteCount: Int) throws(BackendError) -> any Buffer
    /// Copies host bytes into `buffer`, which must be this device's and exactly as large.
    func copy(from bytes: UnsafeRawBufferPointer, to buffer: any Buffer) throws(BackendError)
    /// Copies `buffer`'s bytes to the host.
    func copy(from buffer: any Buffer, to bytes: UnsafeMutableRawBufferPointer) throws(BackendError)
    /// Compiles a schedule into an executable for this device.
    func compile(_ schedule: Schedule) throws(BackendError) -> any Executable
    /// Enqueues a run of `executable` reading `inputs` and writing `outputs` (one buffer per schedule
    /// input and output) and returns at once; the event completes when the outputs are written.
    func execute(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) -> Event
    /// Runs `executable` and returns when the outputs are written: the launch path with the least
    /// overhead, for callers that would wait anyway.
    func run(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) throws(BackendError)
    /// What this device's kernels can take, so fusion materializes no more than they need.
    var fusionOptions: Fusion.Options { get }
}

extension Device {
    /// Plain contractions over plain buffers: what every backend supports.
    public var fusionOptions: Fusion.Options { Fusion.Options() }

    /// Enqueues and waits; devices with a cheaper synchronous path override this.
    public func run(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) throws(BackendError) {
        try execute(executable, inputs: inputs, outputs: outputs).wait()
    }
}

/// Device memory. Implementations are classes that free their memory in `deinit`, or earlier on ``free()``.
public protocol Buffer: AnyObject, Sendable {
    /// The owning device.
    var device: DeviceID { get }
    /// The size in bytes.
    var byteCount: Int { get }
    /// Releases the memory now; any later use throws ``BackendError/bufferFreed(_:)``.
    func free()
}

/// A schedule compiled for one device, ready to run many times.
public protocol Executable: AnyObject, Sendable {
    /// The device it was compiled for.
    var device: DeviceID { get }
    /// The schedule it runs.
    var schedule: Schedule { get }
}

/// A family of devices (CPU, OpenCL, simulated, plugin) that can find its devices.
public protocol Backend: Sendable {
    /// The family's name, the prefix of its device ids.
    var name: String { get }
    /// The devices present, and warnings about any that could not be opened (a broken driver must
    /// not hide the other devices, so discovery never throws).
    func discover() -> (devices: [any Device], warnings: [String])
}
