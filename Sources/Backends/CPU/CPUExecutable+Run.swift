import Dispatch
import Synchronization
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
        var position = 0
        var nextGroup = 0
        while position < steps.count {
            let step = steps[position]
            if let reason = faults.reason { throw .deviceLost(device, reason: "\(reason) (before kernel #\(position) '\(step.name)')") }
            let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            if nextGroup < groups.count, groups[nextGroup].steps.lowerBound == position {
                let group = groups[nextGroup]
                nextGroup += 1
                let threadTimes = Self.launch(group, steps: steps, table: arena.table, scratch: arena.workScratch, threads: threads,
                                              pool: pool, timesMembers: profile != nil)
                if let profile {
                    // A group's kernels run interleaved: its time is shared in proportion to the thread time each took.
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start), total = Double(max(1, threadTimes.reduce(0, +)))
                    for (member, time) in zip(group.steps, threadTimes) { profile.record(member, nanoseconds: UInt64(elapsed * Double(time) / total)) }
                }
                position = group.steps.upperBound
                continue
            }
            switch step {
            case let .loop(launch):
                Self.launch(launch, table: arena.table, pool: pool)
            case let .contraction(launch):
                Self.launch(launch, arena: arena, pool: pool)
            }
            profile?.record(position, nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            position += 1
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

    /// Runs `group`'s steps slice by slice: each thread takes whole slices and runs every step on them
    /// in order, with the group's scratch buffers in a region of `scratch` it holds while it works.
    /// With `timesMembers`, returns the thread time each step took, summed over slices.
    private static func launch(_ group: SliceGroup, steps: [CPUStep], table: UnsafeMutablePointer<UnsafeMutableRawPointer>,
                               scratch: UnsafeMutableRawPointer, threads: Int, pool: WorkerPool, timesMembers: Bool) -> [UInt64] {
        let members = steps[group.steps]
        let slices = group.slices
        let (entries, starts) = (group.arguments, group.argumentStarts)
        let memberTimes = Mutex([UInt64](repeating: 0, count: timesMembers ? members.count : 0))
        let regions = Mutex(Array((0..<max(1, threads)).reversed()))
        pool.parallelFor(0..<slices, minimumChunk: 1) { range in
            guard let region = regions.withLock({ $0.popLast() }) else { preconditionFailure("SliceGroup: more slices in flight than threads") }
            defer { regions.withLock { $0.append(region) } }
            let regionBase = scratch + region * group.scratchBytes
            var times = [UInt64](repeating: 0, count: timesMembers ? members.count : 0)
            withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer.self, capacity: max(1, entries.count)) { arguments in
                guard let base = arguments.baseAddress else { return }
                for (position, entry) in entries.enumerated() { (base + position).initialize(to: table[entry]) }
                for slice in range {
                    // Scratch buffers seen through pointers moved back by `slice` slices.
                    for argument in group.scratchArguments {
                        base[argument.position] = regionBase + argument.buffer.offset - slice * argument.buffer.sliceBytes
                    }
                    for (member, step) in members.enumerated() {
                        let start = timesMembers ? DispatchTime.now().uptimeNanoseconds : 0
                        let buffers = base + starts[member]
                        switch step {
                        case let .loop(launch):
                            launch.kernel.run(UnsafePointer(buffers), range: Self.slice(slice, of: slices, elements: launch.elementCount))
                        case let .contraction(launch):
                            guard case let .matmul(plan) = launch.operation else { preconditionFailure("SliceGroup: only matmuls are sliced") }
                            plan.runSlice(slice, of: slices, left: buffers[0], right: buffers[1], output: buffers[2])
                            if let epilogue = launch.epilogue {
                                epilogue.kernel.run(UnsafePointer(buffers + 3), range: Self.slice(slice, of: slices, elements: epilogue.elementCount))
                            }
                        }
                        if timesMembers { times[member] += DispatchTime.now().uptimeNanoseconds - start }
                    }
                }
                base.deinitialize(count: entries.count)
            }
            if timesMembers { memberTimes.withLock { totals in for (member, time) in times.enumerated() { totals[member] += time } } }
        }
        return memberTimes.withLock { $0 }
    }

    /// The output elements of slice `slice` of `slices`.
    private static func slice(_ slice: Int, of slices: Int, elements: Int) -> Range<Int> {
        (slice * elements / slices)..<((slice + 1) * elements / slices)
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
