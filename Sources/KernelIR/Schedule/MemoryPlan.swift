/// Assigns every materialized value a slot of device memory, reusing a slot once the value it
/// held has been read for the last time (and, with a reuse distance, once that many kernels have
/// passed since or when the new value has the old one's size), so peak memory follows liveness
/// rather than the sum of all intermediates.
public enum MemoryPlan {
    /// Bytes of every materialized intermediate and result, if each had its own buffer: what the
    /// plan saves is the difference from ``Schedule/peakBytes``.
    public static func unplannedBytes(of schedule: Schedule) -> Int {
        schedule.kernels.reduce(0) { $0 + schedule.bytesWritten(by: $1) }
    }

    static func schedule(_ graph: Graph, kernels: [(root: Int, kind: Kernel.Kind, body: Graph, inputs: [Int])],
                         reuseDistance: Int = 0) -> Schedule {
        let parameterCount = graph.parameters.count
        let results = Set(graph.results.map(\.index))
        // The last kernel reading each value; results stay live to the end.
        var lastUse: [Int: Int] = [:]
        for (position, kernel) in kernels.enumerated() {
            for input in kernel.inputs { lastUse[input] = position }
        }
        var slotSizes: [Int] = []
        var freeSlots: [Int] = []
        var slotOf: [Int: Int] = [:]
        var expiring: [Int: [Int]] = [:]
        var planned: [Kernel] = []
        // The last kernel that wrote or read each slot, and the size of the value it last held.
        var lastTouched: [Int: Int] = [:]
        var occupantBytes: [Int: Int] = [:]
        for (position, kernel) in kernels.enumerated() {
            let bytes = graph.type(of: Value(index: kernel.root)).byteCount
            // A slot whose last value had this one's size is taken at once: same-size accesses cut
            // into slices alike, which is what the distance protects.
            let idle = freeSlots.filter { slot in
                occupantBytes[slot] == bytes || lastTouched[slot].map { position - $0 > reuseDistance } ?? true
            }
            let slot: Int
            if let bestFit = idle.filter({ slotSizes[$0] >= bytes }).min(by: { slotSizes[$0] < slotSizes[$1] }) {
                slot = bestFit
            } else if let largest = idle.max(by: { slotSizes[$0] < slotSizes[$1] }) {
                slot = largest
                slotSizes[slot] = bytes
            } else {
                slot = slotSizes.count
                slotSizes.append(bytes)
            }
            freeSlots.removeAll { $0 == slot }
            slotOf[kernel.root] = slot
            lastTouched[slot] = position
            occupantBytes[slot] = bytes
            for input in kernel.inputs { if let read = slotOf[input] { lastTouched[read] = position } }
            func buffer(_ value: Int) -> BufferID {
                value < parameterCount ? BufferID(index: value) : BufferID(index: parameterCount + (slotOf[value] ?? -1))
            }
            planned.append(Kernel(kind: kernel.kind, body: kernel.body, inputs: kernel.inputs.map(buffer), output: buffer(kernel.root)))
            if !results.contains(kernel.root) {
                expiring[lastUse[kernel.root] ?? position, default: []].append(kernel.root)
            }
            // Values read for the last time by this kernel free their slots for the kernels after it.
            for value in expiring[position] ?? [] {
                if let freed = slotOf[value] { freeSlots.append(freed) }
            }
        }
        let outputs = graph.results.map { result -> (buffer: BufferID, type: TensorType) in
            let buffer = result.index < parameterCount ? BufferID(index: result.index) : BufferID(index: parameterCount + (slotOf[result.index] ?? -1))
            return (buffer, graph.type(of: result))
        }
        return Schedule(name: graph.name, inputTypes: graph.parameters.map(\.type), slotByteCounts: slotSizes,
                        kernels: planned, outputs: outputs)
    }
}
