import KernelIR

/// A buffer written and read only inside one ``SliceGroup``: each slice in flight keeps its own
/// slice of it in a small scratch region that the thread reuses for its next slice, so the
/// group's temporaries (attention scores, the pieces of a gradient) stay in the core's cache
/// instead of being written to memory and read back.
///
/// Kernels address buffers by absolute element index, so a slice `g` sees the scratch through a
/// pointer moved back by `g` slices: the elements it writes and reads, all within slice `g`, land
/// at the start of the region.
struct ScratchBuffer: Sendable, Equatable {
    /// The buffer's table entry.
    let entry: Int
    /// Where its slice starts in a slice's scratch region, in bytes (64-byte aligned).
    let offset: Int
    /// Bytes of one slice of it.
    let sliceBytes: Int
}

extension SliceGroup {
    /// The buffers of `group` that can live in scratch: every access to them in the group starts
    /// with a member's write, and no step after the group reads them before they are written anew
    /// (a slot that holds one of the run's `outputs` at the end is written anew by its producer).
    static func scratchBuffers(of group: SliceGroup, steps: [CPUStep], kernels: [Kernel], outputs: Set<Int>) -> [ScratchBuffer] {
        var firstWrite: [Int: Int] = [:]
        var readFirst: Set<Int> = []
        var order: [Int] = []
        for position in group.steps {
            guard let access = SlicedAccess(steps[position], kernel: kernels[position], slices: group.slices) else { return [] }
            let ownWrites = Set(access.writes.map(\.entry))
            for read in access.reads where !ownWrites.contains(read.entry) && firstWrite[read.entry] == nil {
                readFirst.insert(read.entry)
            }
            for write in access.writes where firstWrite[write.entry] == nil && !readFirst.contains(write.entry) {
                firstWrite[write.entry] = write.byteCount
                order.append(write.entry)
            }
        }
        var scratch: [ScratchBuffer] = []
        var offset = 0
        for entry in order where !Self.isLive(entry, after: group.steps.upperBound, in: steps, outputs: outputs) {
            guard let bytes = firstWrite[entry] else { continue }
            let sliceBytes = bytes / group.slices
            scratch.append(ScratchBuffer(entry: entry, offset: offset, sliceBytes: sliceBytes))
            offset += (sliceBytes + 63) & ~63
        }
        return scratch
    }

    /// Whether a step from position `start` on reads `entry` before one writes it, or none writes
    /// it and it holds one of the run's `outputs`.
    private static func isLive(_ entry: Int, after start: Int, in steps: [CPUStep], outputs: Set<Int>) -> Bool {
        for step in steps[start...] {
            if let readsFirst = step.readsFirst(entry) { return readsFirst }
        }
        return outputs.contains(entry)
    }
}
