import CNUMA
import Foundation

/// One allocation of host memory placed on a NUMA node, 64-byte aligned, freed in `deinit`.
///
/// Allocations of at least ``numaThreshold`` bytes come from `numa_alloc_onnode` (an `mmap` bound
/// to the node); smaller ones, and all of them where NUMA is unavailable, from `posix_memalign`,
/// since an `mmap` per small tensor would cost a system call and a whole page. Zero-byte requests
/// still get a valid, unshared address.
///
/// Allocations of at least ``hugePageBytes`` (a run's arena, large tensors) start on a 2 MiB boundary
/// and are offered to the kernel as transparent huge pages (`madvise(MADV_HUGEPAGE)`, which Debian's
/// default `madvise` mode requires), so a training step walking over a hundred megabytes of
/// activations needs few TLB entries. `ACC_HUGE_PAGES=0` turns this off.
final class NodeMemory: @unchecked Sendable {
    // Safe because: every property is immutable after init; the bytes are read and written by
    // the owners of this object under their own synchronization (a buffer's state lock, an arena
    // held by one run at a time).

    /// The first byte.
    let pointer: UnsafeMutableRawPointer
    /// The usable size in bytes.
    let byteCount: Int
    /// Whether `numa_alloc_onnode` made the allocation (and `numa_free` must release it).
    private let isNUMA: Bool
    /// What the allocator returned (below `pointer` when it was moved up to a huge page boundary).
    private let allocation: UnsafeMutableRawPointer
    private let allocatedByteCount: Int

    /// Allocations this large or larger are bound to the node with libnuma.
    static let numaThreshold = 64 << 10
    /// The alignment of every allocation: a cache line, and an AVX-512 vector.
    static let alignment = 64
    /// The size of a transparent huge page on x86-64 and of the allocations that are offered them.
    static let hugePageBytes = 2 << 20
    /// Whether large allocations are offered huge pages.
    static let usesHugePages = ProcessInfo.processInfo.environment["ACC_HUGE_PAGES"] != "0"

    /// Allocates `byteCount` bytes on `node` (`nil`: anywhere), or returns `nil` when the system refuses.
    init?(byteCount: Int, node: Int?) {
        precondition(byteCount >= 0, "NodeMemory: callers reject negative sizes")
        let size = max(byteCount, NodeMemory.alignment)
        let huge = NodeMemory.usesHugePages && size >= NodeMemory.hugePageBytes
        let requested = huge ? size + NodeMemory.hugePageBytes : size
        if let node, size >= NodeMemory.numaThreshold, let memory = numa_alloc_onnode(requested, Int32(node)) {
            allocation = memory
            isNUMA = true
        } else {
            var memory: UnsafeMutableRawPointer?
            guard posix_memalign(&memory, NodeMemory.alignment, requested) == 0, let memory else { return nil }
            allocation = memory
            isNUMA = false
        }
        if huge {
            let address = Int(bitPattern: allocation)
            pointer = allocation + (roundedUp(address, to: NodeMemory.hugePageBytes) - address)
            // Advice only: where the kernel declines, the memory stays in ordinary pages.
            _ = madvise(pointer, size - size % NodeMemory.hugePageBytes, MADV_HUGEPAGE)
        } else {
            pointer = allocation
        }
        self.byteCount = byteCount
        allocatedByteCount = requested
    }

    deinit {
        if isNUMA { numa_free(allocation, allocatedByteCount) } else { Foundation.free(allocation) }
    }
}
