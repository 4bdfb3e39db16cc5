import COpenCL

extension OpenCLDevice {
    /// Runs `executable` and returns when the outputs are written.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for a wrong executable or wrong
    ///   buffers, ``BackendError/bufferFreed(_:)``, ``BackendError/deviceLost(_:reason:)`` and
    ///   ``BackendError/executionFailed(_:kernel:reason:)``.
    public func run(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) throws(BackendError) {
        guard let compiled = executable as? OpenCLExecutable, compiled.device == id else {
            throw .bufferMismatch(id, reason: "the executable was compiled for \(executable.device), not \(id); compile the schedule for \(id)")
        }
        try compiled.run(inputs: inputs, outputs: outputs, on: self)
    }

    /// Fills `buffer` with zero bytes and waits.
    func fillWithZeros(_ buffer: OpenCLBuffer) {
        guard buffer.byteCount > 0, let memory = try? buffer.retainedMemory() else { return }
        defer { clReleaseMemObject(memory) }
        var zero: UInt8 = 0
        launchLock.withLock { _ in
            _ = clEnqueueFillBuffer(queue, memory, &zero, 1, 0, buffer.byteCount, 0, nil, nil)
        }
        clFinish(queue)
    }

    /// Runs one kernel over `buffers` (its buffer arguments in order) and waits: the tuner's timing loop.
    /// - Returns: whether it ran without error.
    func runAlone(_ launch: OpenCLLaunch, buffers: [OpenCLBuffer]) -> Bool {
        var table: [cl_mem] = []
        defer { for memory in table { clReleaseMemObject(memory) } }
        for buffer in buffers {
            guard let memory = try? buffer.retainedMemory() else { return false }
            table.append(memory)
        }
        let enqueued: Bool = launchLock.withLock { _ in
            var argument: cl_uint = 0
            for memory in table {
                var value: cl_mem? = memory
                guard clSetKernelArg(launch.kernel.kernel, argument, MemoryLayout<cl_mem?>.size, &value) == CL_SUCCESS else { return false }
                argument += 1
            }
            for bound in [0, launch.plan.elementCount] {
                var value = cl_long(bound)
                guard clSetKernelArg(launch.kernel.kernel, argument, MemoryLayout<cl_long>.size, &value) == CL_SUCCESS else { return false }
                argument += 1
            }
            let global = launch.plan.globalSize, local = launch.plan.localSize
            return clEnqueueNDRangeKernel(queue, launch.kernel.kernel, cl_uint(global.count), nil, global, local, 0, nil, nil) == CL_SUCCESS
        }
        return enqueued && clFinish(queue) == CL_SUCCESS
    }
}
