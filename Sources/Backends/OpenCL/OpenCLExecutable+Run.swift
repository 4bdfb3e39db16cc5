import COpenCL
import KernelIR

extension OpenCLExecutable {
    /// Enqueues every kernel, then copies of the results into `outputs`, then a marker, and
    /// returns the marker's event (retained for the caller).
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)``, ``BackendError/bufferFreed(_:)``,
    ///   ``BackendError/deviceLost(_:reason:)`` (also when the failure hook is armed), and
    ///   ``BackendError/executionFailed(_:kernel:reason:)`` when the driver refuses a command.
    func enqueueAll(inputs: [any Buffer], outputs: [any Buffer], on owner: OpenCLDevice) throws(BackendError) -> cl_event {
        let table = try retainedTable(inputs: inputs, outputs: outputs, on: owner)
        defer { for memory in table { clReleaseMemObject(memory) } }
        if let reason = owner.faults.reason { throw .deviceLost(device, reason: "\(reason) (before '\(schedule.name)' was enqueued)") }
        let outputBase = schedule.inputTypes.count + slots.count
        let marker: Result<cl_event, BackendError> = owner.launchLock.withLock { _ in
            for launch in launches {
                if let failure = enqueue(launch, table: table, on: owner) { return .failure(failure) }
            }
            for (index, output) in schedule.outputs.enumerated() where output.type.byteCount > 0 {
                let (source, target) = (table[output.buffer.index], table[outputBase + index])
                guard source != target else { continue }
                let status = clEnqueueCopyBuffer(owner.queue, source, target, 0, 0, output.type.byteCount, 0, nil, nil)
                guard status == CL_SUCCESS else { return .failure(owner.failure(status, while: "copying result \(index)", kernel: schedule.name)) }
            }
            var event: cl_event?
            let status = clEnqueueMarkerWithWaitList(owner.queue, 0, nil, &event)
            guard status == CL_SUCCESS, let event else { return .failure(owner.failure(status, while: "enqueueing the completion marker", kernel: schedule.name)) }
            return .success(event)
        }
        clFlush(owner.queue)
        return try marker.get()
    }

    /// Sets `launch`'s arguments and enqueues it; returns the error, or `nil`. Call under the launch lock.
    private func enqueue(_ launch: OpenCLLaunch, table: [cl_mem], on owner: OpenCLDevice) -> BackendError? {
        let kernel = launch.kernel.kernel
        var argument: cl_uint = 0
        for index in launch.plan.buffers {
            var memory: cl_mem? = table[index]
            let status = clSetKernelArg(kernel, argument, MemoryLayout<cl_mem?>.size, &memory)
            guard status == CL_SUCCESS else { return owner.failure(status, while: "binding buffer argument \(argument)", kernel: launch.plan.label) }
            argument += 1
        }
        for bound in [0, launch.plan.elementCount] {
            var value = cl_long(bound)
            let status = clSetKernelArg(kernel, argument, MemoryLayout<cl_long>.size, &value)
            guard status == CL_SUCCESS else { return owner.failure(status, while: "binding argument \(argument)", kernel: launch.plan.label) }
            argument += 1
        }
        let global = launch.plan.globalSize, local = launch.plan.localSize
        let status = clEnqueueNDRangeKernel(owner.queue, kernel, cl_uint(global.count), nil, global, local, 0, nil, nil)
        guard status == CL_SUCCESS else {
            return owner.failure(status, while: "enqueueing \(launch.kernel.name) (global \(global), local \(local))", kernel: launch.plan.label)
        }
        return nil
    }

    /// Enqueues a run whose `event` completes from the driver's callback.
    /// - Throws: what ``enqueueAll(inputs:outputs:on:)`` throws; nothing is pending then.
    func enqueue(inputs: [any Buffer], outputs: [any Buffer], on owner: OpenCLDevice, completing event: Event) throws(BackendError) {
        let marker = try enqueueAll(inputs: inputs, outputs: outputs, on: owner)
        // The context keeps the executable (slots, kernels) and the caller's buffers alive until
        // the run is done; the callback takes it back.
        let context = RunCompletion(event: event, marker: marker, executable: self, buffers: inputs + outputs, owner: owner)
        let pointer = Unmanaged.passRetained(context).toOpaque()
        let status = clSetEventCallback(marker, CL_COMPLETE, { _, status, pointer in
            guard let pointer else { return }
            Unmanaged<RunCompletion>.fromOpaque(pointer).takeRetainedValue().finish(status: status)
        }, pointer)
        if status != CL_SUCCESS {
            // No callback will come: wait here instead.
            let context = Unmanaged<RunCompletion>.fromOpaque(pointer).takeRetainedValue()
            var events: [cl_event?] = [marker]
            _ = clWaitForEvents(1, &events)
            context.finish(status: Self.executionStatus(of: marker))
        }
    }

    /// Runs and waits.
    /// - Throws: what ``enqueueAll(inputs:outputs:on:)`` throws, and the failure the run ended with.
    func run(inputs: [any Buffer], outputs: [any Buffer], on owner: OpenCLDevice) throws(BackendError) {
        let marker = try enqueueAll(inputs: inputs, outputs: outputs, on: owner)
        defer { clReleaseEvent(marker) }
        var events: [cl_event?] = [marker]
        _ = clWaitForEvents(1, &events)
        if let error = Self.error(forStatus: Self.executionStatus(of: marker), owner: owner, name: schedule.name) { throw error }
    }

    static func executionStatus(of event: cl_event) -> cl_int {
        OpenCLQuery.scalar(cl_int.self) { clGetEventInfo(event, cl_event_info(CL_EVENT_COMMAND_EXECUTION_STATUS), $0, $1, $2) } ?? CL_INVALID_EVENT
    }

    /// The error a run that ended with `status` reports: a negative status is a failed command;
    /// a failure hook armed meanwhile makes the device count as lost mid-run.
    static func error(forStatus status: cl_int, owner: OpenCLDevice, name: String) -> BackendError? {
        if status < 0 { return .deviceLost(owner.id, reason: "running '\(name)' ended with \(OpenCLQuery.statusName(status))") }
        if let reason = owner.faults.reason { return .deviceLost(owner.id, reason: "\(reason) (while '\(name)' ran)") }
        return nil
    }
}

/// What a run's completion callback needs: the event to complete, and what must stay alive until then.
private final class RunCompletion: @unchecked Sendable {
    // Safe because: created before the callback is registered and touched only by the one
    // callback (or the one waiting thread) that takes it back; every property is immutable.
    let event: Event
    let marker: cl_event
    let executable: OpenCLExecutable
    let buffers: [any Buffer]
    let owner: OpenCLDevice

    init(event: Event, marker: cl_event, executable: OpenCLExecutable, buffers: [any Buffer], owner: OpenCLDevice) {
        self.event = event
        self.marker = marker
        self.executable = executable
        self.buffers = buffers
        self.owner = owner
    }

    deinit { clReleaseEvent(marker) }

    func finish(status: cl_int) {
        event.complete(error: OpenCLExecutable.error(forStatus: status, owner: owner, name: executable.schedule.name))
    }
}
