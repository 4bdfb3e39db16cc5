import COpenCL
import Foundation
import KernelIR
import Synchronization

/// One OpenCL device (`opencl:0`, ...) of any vendor: a context, one in-order command queue,
/// buffers in device memory, schedules built as one OpenCL program each (binaries cached on
/// disk), GEMM tiles from the ``GEMMTuner``.
///
/// ``execute(_:inputs:outputs:)`` enqueues every kernel and returns at once, so host work overlaps
/// device work; the event completes from the driver's callback. Commands run in submission order.
public final class OpenCLDevice: Device, @unchecked Sendable {
    // Safe because: every stored property is immutable after init; the OpenCL handles are used
    // only through calls the OpenCL spec makes thread-safe, except clSetKernelArg, which runs
    // under `launchLock` together with the enqueue that reads the arguments.
    /// The device's id.
    public let id: DeviceID
    /// What the device reports about itself.
    public let info: DeviceInfo
    let properties: OpenCLDeviceProperties
    let handle: cl_device_id
    let context: cl_context
    let queue: cl_command_queue
    let account: MemoryAccount
    let cache: ProgramCache
    let buildOptions: String
    /// The tile chooser, with its on-disk results.
    public let tuner: GEMMTuner
    let faults = FaultInjection()
    /// Serializes kernel-argument setting and enqueueing, and so orders whole runs on the queue.
    let launchLock = Mutex<Void>(())

    private init(id: DeviceID, properties: OpenCLDeviceProperties, handle: cl_device_id, context: cl_context,
                 queue: cl_command_queue, environment: [String: String]) {
        self.id = id
        self.properties = properties
        self.handle = handle
        self.context = context
        self.queue = queue
        info = properties.info(id: id)
        account = MemoryAccount(capacity: properties.globalMemoryBytes)
        cache = ProgramCache(directory: ProgramCache.directory(environment: environment))
        buildOptions = properties.buildOptions(extra: environment["ACC_OPENCL_BUILD_OPTIONS"] ?? "")
        tuner = GEMMTuner(directory: cache.directory, identity: properties.compilerIdentity, environment: environment)
    }

    deinit {
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    /// Opens `device` of `platform` as `id`: a context and an in-order queue of its own, so two
    /// opened instances of one device (tests do this) do not share state.
    static func open(_ device: cl_device_id, platform: cl_platform_id, id: DeviceID,
                     environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<OpenCLDevice, OpenCLDiscoveryProblem> {
        guard let properties = OpenCLDeviceProperties(device: device, platform: platform) else {
            return .failure(OpenCLDiscoveryProblem(reason: "the device does not answer clGetDeviceInfo"))
        }
        var status: cl_int = CL_SUCCESS
        var devices: [cl_device_id?] = [device]
        guard let context = clCreateContext(nil, 1, &devices, nil, nil, &status), status == CL_SUCCESS else {
            return .failure(OpenCLDiscoveryProblem(reason: "\(properties.name): clCreateContext failed with \(OpenCLQuery.statusName(status))"))
        }
        // clCreateCommandQueue exists on every platform version (1.x has no ...WithProperties).
        guard let queue = clCreateCommandQueue(context, device, 0, &status), status == CL_SUCCESS else {
            clReleaseContext(context)
            return .failure(OpenCLDiscoveryProblem(reason: "\(properties.name): clCreateCommandQueue failed with \(OpenCLQuery.statusName(status))"))
        }
        return .success(OpenCLDevice(id: id, properties: properties, handle: device, context: context, queue: queue, environment: environment))
    }

    /// A new buffer of `byteCount` bytes, uninitialised.
    /// - Throws: ``BackendError/allocationTooLarge(_:requested:maximum:)`` beyond the device's
    ///   `CL_DEVICE_MAX_MEM_ALLOC_SIZE` (or for a negative size),
    ///   ``BackendError/outOfMemory(_:requested:available:)`` beyond its free global memory or
    ///   when the driver refuses, ``BackendError/deviceLost(_:reason:)`` when the device failed.
    public func allocate(byteCount: Int) throws(BackendError) -> any Buffer {
        try allocateBuffer(byteCount: byteCount)
    }

    func allocateBuffer(byteCount: Int) throws(BackendError) -> OpenCLBuffer {
        guard byteCount >= 0, byteCount <= properties.maximumAllocationBytes else {
            throw .allocationTooLarge(id, requested: byteCount, maximum: properties.maximumAllocationBytes)
        }
        if let reason = faults.reason { throw .deviceLost(id, reason: reason) }
        guard account.reserve(byteCount) else { throw .outOfMemory(id, requested: byteCount, available: account.available) }
        var status: cl_int = CL_SUCCESS
        guard let memory = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), max(byteCount, 1), nil, &status), status == CL_SUCCESS else {
            account.release(byteCount)
            throw .outOfMemory(id, requested: byteCount, available: account.available)
        }
        return OpenCLBuffer(device: id, memory: memory, byteCount: byteCount, account: account)
    }

    /// Copies host bytes into `buffer`, after all work enqueued before.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for another device's buffer or a size
    ///   that differs, ``BackendError/bufferFreed(_:)``, ``BackendError/deviceLost(_:reason:)``.
    public func copy(from bytes: UnsafeRawBufferPointer, to buffer: any Buffer) throws(BackendError) {
        let memory = try own(buffer, byteCount: bytes.count, direction: "copying \(bytes.count) host bytes into").retainedMemory()
        defer { clReleaseMemObject(memory) }
        if let reason = faults.reason { throw .deviceLost(id, reason: reason) }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let status = clEnqueueWriteBuffer(queue, memory, cl_bool(CL_TRUE), 0, bytes.count, base, 0, nil, nil)
        guard status == CL_SUCCESS else { throw failure(status, while: "copying \(bytes.count) bytes to the device", kernel: "host copy") }
    }

    /// Copies `buffer`'s bytes to the host, after all work enqueued before.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for another device's buffer or a size
    ///   that differs, ``BackendError/bufferFreed(_:)``, ``BackendError/deviceLost(_:reason:)``.
    public func copy(from buffer: any Buffer, to bytes: UnsafeMutableRawBufferPointer) throws(BackendError) {
        let memory = try own(buffer, byteCount: bytes.count, direction: "copying into \(bytes.count) host bytes from").retainedMemory()
        defer { clReleaseMemObject(memory) }
        if let reason = faults.reason { throw .deviceLost(id, reason: reason) }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let status = clEnqueueReadBuffer(queue, memory, cl_bool(CL_TRUE), 0, bytes.count, base, 0, nil, nil)
        guard status == CL_SUCCESS else { throw failure(status, while: "copying \(bytes.count) bytes to the host", kernel: "host copy") }
    }

    /// Compiles `schedule` into one OpenCL program.
    /// - Throws: ``BackendError/compilationFailed(_:kernel:log:source:)`` with the build log and
    ///   the saved source, ``BackendError/invalidProgram(_:_:)`` for a malformed schedule,
    ///   ``BackendError/notImplemented(_:_:)``, and the allocation errors of its planned buffers.
    public func compile(_ schedule: Schedule) throws(BackendError) -> any Executable {
        try compileExecutables([schedule])[0]
    }

    /// Compiles `schedules` into one OpenCL program shared by their executables: one driver
    /// build instead of one per schedule.
    /// - Throws: what ``compile(_:)`` throws.
    public func compile(_ schedules: [Schedule]) throws(BackendError) -> [any Executable] {
        try compileExecutables(schedules)
    }

    func compileExecutables(_ schedules: [Schedule]) throws(BackendError) -> [OpenCLExecutable] {
        for schedule in schedules { try CPUExecutable.validate(schedule, device: id) }
        guard !schedules.isEmpty else { return [] }
        let rendered = try OpenCLProgramSource(schedules, device: id, properties: properties) { problem in
            tuner.tile(for: problem, on: self)
        }
        let label = schedules.prefix(3).map(\.name).joined(separator: ", ") + (schedules.count > 3 ? " and \(schedules.count - 3) more" : "")
        let program = try buildProgram(source: rendered.source, label: label)
        var executables: [OpenCLExecutable] = []
        for (schedule, plans) in zip(schedules, rendered.plans) {
            executables.append(try OpenCLExecutable(schedule: schedule, plans: plans, program: program, device: self))
        }
        return executables
    }

    /// Enqueues a run and returns at once; the event reports the errors
    /// ``run(_:inputs:outputs:)`` throws. Wrong buffers fail the event before anything is enqueued.
    public func execute(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) -> Event {
        do throws(BackendError) {
            let event = Event()
            try own(executable).enqueue(inputs: inputs, outputs: outputs, on: self, completing: event)
            return event
        } catch {
            return Event.completed(error: error)
        }
    }

    /// Makes every later run, copy and allocation fail with ``BackendError/deviceLost(_:reason:)``
    /// carrying `reason` (a run already enqueued reports it when it completes), or heals the device
    /// when `reason` is `nil`. For tests of failure handling.
    package func simulateFailure(_ reason: String?) {
        faults.fail(reason)
    }

    /// The error for a failed OpenCL call: a lost device for the statuses drivers use when the
    /// device stops responding or a kernel faults, else a failed kernel.
    func failure(_ status: cl_int, while action: String, kernel: String) -> BackendError {
        switch status {
        case CL_DEVICE_NOT_AVAILABLE, CL_OUT_OF_RESOURCES, CL_INVALID_COMMAND_QUEUE, CL_INVALID_CONTEXT:
            .deviceLost(id, reason: "\(OpenCLQuery.statusName(status)) while \(action)")
        case CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_HOST_MEMORY:
            .outOfMemory(id, requested: 0, available: account.available)
        default:
            .executionFailed(id, kernel: kernel, reason: "\(OpenCLQuery.statusName(status)) while \(action)")
        }
    }

    private func own(_ executable: any Executable) throws(BackendError) -> OpenCLExecutable {
        guard let compiled = executable as? OpenCLExecutable, compiled.device == id else {
            throw .bufferMismatch(id, reason: "the executable was compiled for \(executable.device), not \(id); compile the schedule for \(id)")
        }
        return compiled
    }

    func own(_ buffer: any Buffer, byteCount: Int, direction: String) throws(BackendError) -> OpenCLBuffer {
        guard let owned = buffer as? OpenCLBuffer, owned.device == id else {
            throw .bufferMismatch(id, reason: "\(direction) a buffer of \(buffer.device); use a buffer allocated on \(id)")
        }
        guard owned.byteCount == byteCount else {
            throw .bufferMismatch(id, reason: "\(direction) a buffer of \(owned.byteCount) bytes; the sizes must match")
        }
        return owned
    }
}
