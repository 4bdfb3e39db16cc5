import Dispatch
import KernelIR

extension CPUExecutable {
    /// Runs the executable once: binds the caller's buffers, runs every kernel in order on `pool`,
    /// and copies the results into `outputs`.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for a wrong number, size or device of
    ///   buffers, ``BackendError/bufferFreed(_:)`` for a freed one,
    ///   ``BackendError/outOfMemory(_:requested:available:)`` when no arena can be allocated, and
    ///   ``BackendError/deviceLost(_:reason:)`` when `faults` reports a failure between kernels.
    func run(inputs: [any Buffer], outputs: [any Buffer], pool: WorkerPool, faults: FaultInjection,
             freeBytes: () -> Int) throws(BackendError) {
        try checkCounts(inputs: inputs.count, outputs: outputs.count)
        let arena = try arenas.take(device: device, freeBytes: freeBytes)
        defer { arenas.give(arena) }
        var borrowedInputs = 0
        var borrowedOutputs = 0
        defer {
            for buffer in inputs.prefix(borrowedInputs) { (buffer as? CPUBuffer)?.endBorrow() }
            for buffer in outputs.prefix(borrowedOutputs) { (buffer as? CPUBuffer)?.endBorrow() }
        }
        for (index, buffer) in inputs.enumerated() {
            arena.table[index] = try check(buffer, role: "input \(index)", type: schedule.inputTypes[index]).borrow()
            borrowedInputs += 1
        }
        for (index, buffer) in outputs.enumerated() {
            arena.outputs[index] = try check(buffer, role: "output \(index)", type: schedule.outputs[index].type).borrow()
            borrowedOutputs += 1
        }
        let direct = bindOutputsDirectly(arena, inputs: inputs, outputs: outputs)
        defer { for (entry, original) in direct.restore { arena.table[entry] = original } }
        for (position, step) in steps.enumerated() {
            if let reason = faults.reason { throw .deviceLost(device, reason: "\(reason) (before kernel #\(position) '\(step.name)')") }
            let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            switch step {
            case let .loop(launch):
                Self.launch(launch, table: arena.table, pool: pool)
            case let .contraction(launch):
                Self.launch(launch, arena: arena, pool: pool)
            }
            profile?.record(position, nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        }
        if let reason = faults.reason { throw .deviceLost(device, reason: "\(reason) (before copying results)") }
        for (index, output) in schedule.outputs.enumerated() where direct.outputs.isEmpty || !direct.outputs[index] {
            // `memmove`: a caller may pass one buffer as both an input and an output.
            arena.outputs[index].copyMemory(from: arena.table[output.buffer.index], byteCount: output.type.byteCount)
        }
    }

    /// Points the planned slots that hold results at the caller's output buffers, so the kernels
    /// that compute them write there and the run copies nothing out: returns which outputs are
    /// bound and the table entries to restore. A slot is bound only when it holds one output alone
    /// (``directOutputCandidates``) and the caller's buffer can hold everything the slot holds during
    /// the run and overlaps no input (the slot's earlier tenants would overwrite it before it is
    /// read) and no other output.
    private func bindOutputsDirectly(_ arena: Arena, inputs: [any Buffer], outputs: [any Buffer])
        -> (outputs: [Bool], restore: [(entry: Int, original: UnsafeMutableRawPointer)]) {
        guard !directOutputCandidates.isEmpty else { return ([], []) }
        func overlaps(_ a: UnsafeMutableRawPointer, _ aBytes: Int, _ b: UnsafeMutableRawPointer, _ bBytes: Int) -> Bool {
            a < b + bBytes && b < a + aBytes
        }
        var bound = [Bool](repeating: false, count: outputs.count)
        var restore: [(entry: Int, original: UnsafeMutableRawPointer)] = []
        for candidate in directOutputCandidates {
            let (index, entry) = (candidate.output, candidate.entry)
            let (target, bytes) = (arena.outputs[index], outputs[index].byteCount)
            guard bytes >= candidate.slotBytes,
                  !inputs.indices.contains(where: { overlaps(arena.table[$0], inputs[$0].byteCount, target, bytes) }),
                  !outputs.indices.contains(where: { $0 != index && overlaps(arena.outputs[$0], outputs[$0].byteCount, target, bytes) })
            else { continue }
            restore.append((entry, arena.table[entry]))
            arena.table[entry] = target
            bound[index] = true
        }
        return (bound, restore)
    }

    /// Checks the buffer counts against the schedule.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)``.
    func checkCounts(inputs: Int, outputs: Int) throws(BackendError) {
        guard inputs == schedule.inputTypes.count, outputs == schedule.outputs.count else {
            throw .bufferMismatch(device, reason: "'\(schedule.name)' takes \(schedule.inputTypes.count) input and \(schedule.outputs.count) output buffers, got \(inputs) and \(outputs)")
        }
    }

    /// `buffer` as this device's buffer holding exactly a `type`.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)``.
    func check(_ buffer: any Buffer, role: @autoclosure () -> String, type: TensorType) throws(BackendError) -> CPUBuffer {
        guard let buffer = buffer as? CPUBuffer, buffer.device == device else {
            throw .bufferMismatch(device, reason: "\(role()) of '\(schedule.name)' is a buffer of \(buffer.device); copy it to \(device) first")
        }
        guard buffer.byteCount == type.byteCount else {
            throw .bufferMismatch(device, reason: "\(role()) of '\(schedule.name)' is \(type) (\(type.byteCount) bytes), but the buffer holds \(buffer.byteCount) bytes")
        }
        return buffer
    }

    private static func launch(_ launch: LoopLaunch, table: UnsafeMutablePointer<UnsafeMutableRawPointer>, pool: WorkerPool) {
        withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer.self, capacity: launch.buffers.count) { arguments in
            guard let base = arguments.baseAddress else { return }
            for (position, buffer) in launch.buffers.enumerated() { (base + position).initialize(to: table[buffer]) }
            let kernel = launch.kernel
            pool.parallelFor(0..<launch.elementCount, minimumChunk: launch.minimumChunk) { range in
                kernel.run(UnsafePointer(base), range: range)
            }
            base.deinitialize(count: launch.buffers.count)
        }
    }

    private static func launch(_ launch: ContractionLaunch, arena: Arena, pool: WorkerPool) {
        let table = arena.table
        let (left, right, result) = (UnsafeRawPointer(table[launch.left]), UnsafeRawPointer(table[launch.right]), table[launch.result])
        switch launch.operation {
        case let .matmul(plan):
            plan.run(left: left, right: right, output: result, scratch: arena.workScratch, pool: pool)
        case let .convolution(plan):
            plan.run(input: left, filter: right, output: result, scratch: arena.workScratch, pool: pool)
        }
        if let epilogue = launch.epilogue { Self.launch(epilogue, table: table, pool: pool) }
    }
}
