import CNUMA
import Foundation

/// One allocation of host memory placed on a NUMA node, 64-byte aligned, freed in `deinit`.
///
/// Allocations of at least ``numaThreshold`` bytes come from `numa_alloc_onnode` (an `mmap` bound
/// to the node); smaller ones, and all of them where NUMA is unavailable, from `posix_memalign`,
/// since an `mmap` per small tensor would cost a system call and a whole page. Zero-byte requests
/// still get a valid, unshared address.
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
    private let allocatedByteCount: Int

    /// Allocations this large or larger are bound to the node with libnuma.
    static let numaThreshold = 64 << 10
    /// The alignment of every allocation: a cache line, and an AVX-512 vector.
    static let alignment = 64

    /// Allocates `byteCount` bytes on `node` (`nil`: anywhere), or returns `nil` when the system refuses.
    init?(byteCount: Int, node: Int?) {
        precondition(byteCount >= 0, "NodeMemory: callers reject negative sizes")
        let size = max(byteCount, NodeMemory.alignment)
        if let node, size >= NodeMemory.numaThreshold, let memory = numa_alloc_onnode(size, Int32(node)) {
            pointer = memory
            isNUMA = true
        } else {
            var memory: UnsafeMutableRawPointer?
            guard posix_memalign(&memory, NodeMemory.alignment, size) == 0, let memory else { return nil }
            pointer = memory
            isNUMA = false
        }
        self.byteCount = byteCount
        allocatedByteCount = size
    }

    deinit {
        if isNUMA { numa_free(pointer, allocatedByteCount) } else { Foundation.free(pointer) }
    }
}
