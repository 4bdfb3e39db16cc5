import CBLAS
import Dispatch
import KernelIR
import Synchronization

/// One NUMA node's cores and memory as a device (`cpu:0`, `cpu:1`, ...): buffers on the node,
/// schedules compiled to OpenBLAS calls and loop kernels, runs on a pool pinned to the node.
///
/// ``execute(_:inputs:outputs:)`` runs in submission order on the device's serial queue;
/// ``run(_:inputs:outputs:)`` runs on the calling thread, for callers that wait anyway.
public final class CPUDevice: Device {
    /// The device's id.
    public let id: DeviceID
    /// What the device reports about itself.
    public let info: DeviceInfo
    /// OpenBLAS reads views of buffers (transposes, head-split attention layouts, flattened
    /// batches) through its leading-dimension and transpose arguments, so such views feeding a
    /// matmul are never copied. With slice groups on, cheap values the backward pass reads again are
    /// recomputed there, so both copies live in a group's scratch rather than in memory, and freed
    /// slots wait ``SliceGroup/slotReuseDistance`` kernels before reuse, so groups are not cut short.
    public var fusionOptions: Fusion.Options {
        Fusion.Options(contractionsReadStridedOperands: true, recomputesForDistantUsers: SliceGroup.isEnabled,
                       slotReuseDistance: SliceGroup.isEnabled ? SliceGroup.slotReuseDistance : 0)
    }
    let node: CPUNode
    let pool: WorkerPool
    private let queue: DispatchQueue
    private let makeLoopKernels: LoopKernelFactory
    let faults = FaultInjection()
    /// Runs submitted through ``execute(_:inputs:outputs:)`` and not yet finished.
    private let inFlight = Atomic<Int>(0)

    /// Opens `node`; loop kernels come from `makeLoopKernels`. Turns OpenBLAS's own threads off: GEMMs
    /// are split over the pool instead (``GEMMSplit``), so one set of threads pinned to the node runs
    /// everything, and no library thread spins on a core while the pool computes a loop kernel.
    init(node: CPUNode, info: DeviceInfo, makeLoopKernels: @escaping LoopKernelFactory = interpretedLoopKernels) {
        id = node.id
        self.info = info
        self.node = node
        pool = WorkerPool(cpus: node.cpus)
        queue = DispatchQueue(label: "acc.\(node.id)", qos: .userInitiated)
        self.makeLoopKernels = makeLoopKernels
        openblas_set_num_threads(1)
    }

    /// A new buffer of `byteCount` bytes on the device's node, uninitialised and 64-byte aligned.
    /// - Throws: ``BackendError/allocationTooLarge(_:requested:maximum:)`` beyond the node's
    ///   memory (or for a negative size), ``BackendError/outOfMemory(_:requested:available:)``
    ///   when the system refuses.
    public func allocate(byteCount: Int) throws(BackendError) -> any Buffer {
        guard byteCount >= 0, byteCount <= node.memoryBytes else {
            throw .allocationTooLarge(id, requested: byteCount, maximum: node.memoryBytes)
        }
        guard let memory = NodeMemory(byteCount: byteCount, node: node.node) else {
            throw .outOfMemory(id, requested: byteCount, available: node.currentFreeMemoryBytes())
        }
        return CPUBuffer(device: id, memory: memory)
    }

    /// Copies host bytes into `buffer`.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for another device's buffer or a size
    ///   that differs, ``BackendError/bufferFreed(_:)`` for a freed one.
    public func copy(from bytes: UnsafeRawBufferPointer, to buffer: any Buffer) throws(BackendError) {
        try own(buffer, byteCount: bytes.count, direction: "copying \(bytes.count) host bytes into").withUnsafeMutableBytes { target throws(BackendError) in
            if let source = bytes.baseAddress, let base = target.baseAddress { base.copyMemory(from: source, byteCount: bytes.count) }
        }
    }

    /// Copies `buffer`'s bytes to the host.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for another device's buffer or a size
    ///   that differs, ``BackendError/bufferFreed(_:)`` for a freed one.
    public func copy(from buffer: any Buffer, to bytes: UnsafeMutableRawBufferPointer) throws(BackendError) {
        try own(buffer, byteCount: bytes.count, direction: "copying into \(bytes.count) host bytes from").withUnsafeMutableBytes { source throws(BackendError) in
            if let target = bytes.baseAddress, let base = source.baseAddress { target.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    /// Compiles `schedule`: OpenBLAS plans for its contractions, loop kernels for the rest.
    /// - Throws: ``BackendError/invalidProgram(_:_:)`` for a malformed schedule,
    ///   ``BackendError/notImplemented(_:_:)`` for contractions beyond OpenBLAS's integer range,
    ///   and the kernel compiler's ``BackendError/compilationFailed(_:kernel:log:source:)``.
    public func compile(_ schedule: Schedule) throws(BackendError) -> any Executable {
        try CPUExecutable(schedule: schedule, device: id, node: node.node, threads: pool.threadCount, makeLoopKernels: makeLoopKernels)
    }

    /// Enqueues a run on the device's serial queue and returns at once; the event reports the
    /// errors ``run(_:inputs:outputs:)`` throws. Wrong buffer counts, sizes or devices fail the
    /// event before anything is enqueued.
    ///
    /// A tiny executable (``CPUExecutable/runsInline``) submitted while nothing else is in flight
    /// runs on the calling thread instead: it finishes sooner than a hop to the queue and back
    /// would take (tens of microseconds), and with nothing queued the order is the same.
    public func execute(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) -> Event {
        do throws(BackendError) {
            let compiled = try own(executable)
            try compiled.checkCounts(inputs: inputs.count, outputs: outputs.count)
            for (index, buffer) in inputs.enumerated() { _ = try compiled.check(buffer, role: "input \(index)", type: compiled.schedule.inputTypes[index]) }
            for (index, buffer) in outputs.enumerated() { _ = try compiled.check(buffer, role: "output \(index)", type: compiled.schedule.outputs[index].type) }
        } catch {
            return Event.completed(error: error)
        }
        let event = Event()
        if (executable as? CPUExecutable)?.runsInline == true,
           inFlight.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged {
            complete(event, running: executable, inputs: inputs, outputs: outputs)
            return event
        }
        inFlight.add(1, ordering: .acquiringAndReleasing)
        queue.async { [self] in complete(event, running: executable, inputs: inputs, outputs: outputs) }
        return event
    }

    private func complete(_ event: Event, running executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) {
        do throws(BackendError) {
            try run(executable, inputs: inputs, outputs: outputs)
            inFlight.subtract(1, ordering: .acquiringAndReleasing)
            event.complete()
        } catch {
            inFlight.subtract(1, ordering: .acquiringAndReleasing)
            event.complete(error: error)
        }
    }

    /// Runs `executable` on the calling thread (with the worker pool) and returns when the outputs
    /// are written: the launch path with the least overhead. Safe to call from many threads at once.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for a wrong executable or wrong
    ///   buffers, ``BackendError/bufferFreed(_:)``, ``BackendError/outOfMemory(_:requested:available:)``
    ///   and ``BackendError/deviceLost(_:reason:)``.
    public func run(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) throws(BackendError) {
        try own(executable).run(inputs: inputs, outputs: outputs, pool: pool, faults: faults,
                                freeBytes: { node.currentFreeMemoryBytes() })
    }

    /// Makes every later run fail with ``BackendError/deviceLost(_:reason:)`` carrying `reason`
    /// (checked before each kernel, so a run in flight fails mid-way), or heals the device when
    /// `reason` is `nil`. For tests of failure handling.
    package func simulateFailure(_ reason: String?) {
        faults.fail(reason)
    }

    private func own(_ executable: any Executable) throws(BackendError) -> CPUExecutable {
        guard let compiled = executable as? CPUExecutable, compiled.device == id else {
            throw .bufferMismatch(id, reason: "the executable was compiled for \(executable.device), not \(id); compile the schedule for \(id)")
        }
        return compiled
    }

    private func own(_ buffer: any Buffer, byteCount: Int, direction: String) throws(BackendError) -> CPUBuffer {
        guard let owned = buffer as? CPUBuffer, owned.device == id else {
            throw .bufferMismatch(id, reason: "\(direction) a buffer of \(buffer.device); use a buffer allocated on \(id)")
        }
        guard owned.byteCount == byteCount else {
            throw .bufferMismatch(id, reason: "\(direction) a buffer of \(owned.byteCount) bytes; the sizes must match")
        }
        return owned
    }
}
