import CNUMA
import Foundation

/// One NUMA node as a CPU device sees it: its CPUs and its memory.
struct CPUNode: Hashable, Sendable {
    /// The NUMA node number, or `nil` where NUMA is unavailable and one device covers the machine.
    var node: Int?
    /// The node's CPUs that this process may run on, ascending.
    var cpus: [Int]
    /// The node's memory in bytes.
    var memoryBytes: Int
    /// The node's free memory in bytes when read.
    var freeMemoryBytes: Int

    /// The device id: `cpu:N` for NUMA node N, `cpu:0` for the whole machine.
    var id: DeviceID { DeviceID("cpu:\(node ?? 0)") }

    /// Free bytes now (memory changes, so this is read again for each out-of-memory message).
    func currentFreeMemoryBytes() -> Int {
        if let node {
            var free: Int64 = 0
            return numa_node_size64(Int32(node), &free) >= 0 ? Int(free) : freeMemoryBytes
        }
        return CPUTopology.systemMemory().free
    }
}

/// The host's NUMA nodes, through libnuma, or one node covering every core where NUMA is unavailable.
enum CPUTopology {
    /// Every node with CPUs this process may use, and warnings for anything odd (a memory-only node,
    /// no NUMA support). Never fails: the whole machine is the fallback.
    static func nodes() -> (nodes: [CPUNode], warnings: [String]) {
        let allowed = allowedCPUs()
        guard numa_available() >= 0 else {
            let memory = systemMemory()
            let cpus = allowed.isEmpty ? Array(0..<max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) : allowed
            return ([CPUNode(node: nil, cpus: cpus, memoryBytes: memory.total, freeMemoryBytes: memory.free)],
                    ["cpu: libnuma reports NUMA unavailable; one device covers all \(cpus.count) cores"])
        }
        var nodes: [CPUNode] = []
        var warnings: [String] = []
        let possibleCPUs = Int(numa_num_possible_cpus())
        guard let mask = numa_allocate_cpumask() else {
            let memory = systemMemory()
            return ([CPUNode(node: nil, cpus: allowed, memoryBytes: memory.total, freeMemoryBytes: memory.free)],
                    ["cpu: libnuma could not allocate a CPU mask; one device covers all cores"])
        }
        defer { numa_bitmask_free(mask) }
        for node in 0...max(0, Int(numa_max_node())) {
            var free: Int64 = 0
            let size = numa_node_size64(Int32(node), &free)
            guard size > 0 else { continue }
            guard numa_node_to_cpus(Int32(node), mask) == 0 else {
                warnings.append("cpu: NUMA node \(node): libnuma could not list its CPUs; skipped")
                continue
            }
            let cpus = (0..<possibleCPUs).filter { numa_bitmask_isbitset(mask, UInt32($0)) != 0 && (allowed.isEmpty || allowed.contains($0)) }
            guard !cpus.isEmpty else {
                warnings.append("cpu: NUMA node \(node) has \(size) bytes of memory but no CPUs this process may use; skipped")
                continue
            }
            nodes.append(CPUNode(node: node, cpus: cpus, memoryBytes: Int(size), freeMemoryBytes: Int(free)))
        }
        if nodes.isEmpty {
            let memory = systemMemory()
            let cpus = allowed.isEmpty ? Array(0..<max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) : allowed
            warnings.append("cpu: libnuma found no node with usable CPUs; one device covers all \(cpus.count) cores")
            nodes.append(CPUNode(node: nil, cpus: cpus, memoryBytes: memory.total, freeMemoryBytes: memory.free))
        }
        return (nodes, warnings)
    }

    /// The CPUs this process may run on (its affinity mask), ascending; empty if unknown.
    static func allowedCPUs() -> [Int] {
        guard let mask = numa_allocate_cpumask() else { return [] }
        defer { numa_bitmask_free(mask) }
        guard numa_sched_getaffinity(0, mask) >= 0 else { return [] }
        return (0..<Int(numa_bitmask_nbytes(mask)) * 8).filter { numa_bitmask_isbitset(mask, UInt32($0)) != 0 }
    }

    /// Physical and available memory from `sysconf`.
    static func systemMemory() -> (total: Int, free: Int) {
        let pageSize = max(1, sysconf(Int32(_SC_PAGESIZE)))
        return (max(0, sysconf(Int32(_SC_PHYS_PAGES))) * pageSize, max(0, sysconf(Int32(_SC_AVPHYS_PAGES))) * pageSize)
    }
}
