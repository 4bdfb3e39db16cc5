import COpenCL
import KernelIR

/// A schedule compiled for an OpenCL device: a kernel object and work sizes per schedule kernel,
/// and the planned slot buffers.
///
/// One set of slots serves every run: all runs go through the device's one in-order queue, so a
/// run's kernels never overlap another's.
final class OpenCLExecutable: Executable, @unchecked Sendable {
    // Safe because: every property is immutable after init; kernel arguments are set only under
    // the device's launch lock.
    /// The device it was compiled for.
    let device: DeviceID
    /// The schedule it runs.
    let schedule: Schedule
    /// The program its kernels come from.
    let program: OpenCLProgram
    /// The kernels, in order.
    let launches: [OpenCLLaunch]
    /// The planned buffers after the inputs.
    let slots: [OpenCLBuffer]

    /// Creates the kernels of `plans` from `program` and allocates the schedule's slots on `device`.
    /// - Throws: ``BackendError/compilationFailed(_:kernel:log:source:)`` when a kernel is
    ///   missing from the program, ``BackendError/notImplemented(_:_:)`` when the built kernel
    ///   cannot run the work-group it needs, and allocation errors for the slots.
    init(schedule: Schedule, plans: [OpenCLKernelPlan], program: OpenCLProgram, device: OpenCLDevice) throws(BackendError) {
        var launches: [OpenCLLaunch] = []
        for plan in plans {
            let kernel: OpenCLKernel
            switch program.kernel(named: plan.functionName) {
            case let .success(created): kernel = created
            case let .failure(status):
                throw .compilationFailed(device.id, kernel: plan.label, log: "clCreateKernel(\(plan.functionName)) failed with \(status)", source: "")
            }
            var plan = plan
            let needed = plan.localSize.reduce(1, *)
            if let allowed = kernel.maximumWorkGroupSize(on: device.handle), allowed < needed {
                guard plan.isLocalSizeFlexible else {
                    throw .notImplemented(device.id, "kernel '\(plan.label)' needs work-groups of \(needed) items; \(device.properties.name) runs it in groups of at most \(allowed)")
                }
                var local = 1
                while local * 2 <= allowed { local *= 2 }
                plan.localSize = [local]
                plan.globalSize = [(plan.elementCount + local - 1) / local * local]
            }
            launches.append(OpenCLLaunch(kernel: kernel, plan: plan))
        }
        var slots: [OpenCLBuffer] = []
        for byteCount in schedule.slotByteCounts { slots.append(try device.allocateBuffer(byteCount: byteCount)) }
        self.device = device.id
        self.schedule = schedule
        self.program = program
        self.launches = launches
        self.slots = slots
    }

    /// Checks `inputs` and `outputs` against the schedule and returns their memory objects,
    /// retained: inputs, then slots, then outputs.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)``, ``BackendError/bufferFreed(_:)``.
    func retainedTable(inputs: [any Buffer], outputs: [any Buffer], on owner: OpenCLDevice) throws(BackendError) -> [cl_mem] {
        guard inputs.count == schedule.inputTypes.count, outputs.count == schedule.outputs.count else {
            throw .bufferMismatch(device, reason: "'\(schedule.name)' takes \(schedule.inputTypes.count) input and \(schedule.outputs.count) output buffers, got \(inputs.count) and \(outputs.count)")
        }
        var owned: [OpenCLBuffer] = []
        for (index, buffer) in inputs.enumerated() {
            owned.append(try check(buffer, role: "input \(index)", type: schedule.inputTypes[index], owner: owner))
        }
        owned += slots
        for (index, buffer) in outputs.enumerated() {
            owned.append(try check(buffer, role: "output \(index)", type: schedule.outputs[index].type, owner: owner))
        }
        var table: [cl_mem] = []
        do throws(BackendError) {
            for buffer in owned { table.append(try buffer.retainedMemory()) }
        } catch {
            for memory in table { clReleaseMemObject(memory) }
            throw error
        }
        return table
    }

    private func check(_ buffer: any Buffer, role: String, type: TensorType, owner: OpenCLDevice) throws(BackendError) -> OpenCLBuffer {
        guard let owned = buffer as? OpenCLBuffer, owned.device == device else {
            throw .bufferMismatch(device, reason: "\(role) of '\(schedule.name)' is a buffer of \(buffer.device); copy it to \(device) first")
        }
        guard owned.byteCount == type.byteCount else {
            throw .bufferMismatch(device, reason: "\(role) of '\(schedule.name)' is \(type) (\(type.byteCount) bytes), but the buffer holds \(owned.byteCount) bytes")
        }
        return owned
    }
}

/// A kernel object with its plan.
struct OpenCLLaunch: Sendable {
    var kernel: OpenCLKernel
    var plan: OpenCLKernelPlan
}
