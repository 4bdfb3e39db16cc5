import COpenCL
import Synchronization

/// Device memory of an OpenCL device: a class because every reference names the same bytes.
///
/// The memory object is released when the last reference goes, or earlier by ``free()``. Work
/// already enqueued keeps it alive: OpenCL deletes a memory object only after the commands using
/// it finish (clReleaseMemObject), so a racing free never pulls memory out from under a kernel.
final class OpenCLBuffer: Buffer, @unchecked Sendable {
    // Safe because: `memory` is only read or cleared under its mutex, `account` is Sendable, the
    // other properties are immutable, and OpenCL calls on a cl_mem are thread-safe.
    /// The owning device.
    let device: DeviceID
    /// The size in bytes (the memory object holds at least one byte, as OpenCL requires).
    let byteCount: Int
    private let memory: Mutex<cl_mem?>
    private let account: MemoryAccount

    /// Wraps `memory` of `byteCount` bytes, charged to `account` until freed.
    init(device: DeviceID, memory: sending cl_mem, byteCount: Int, account: MemoryAccount) {
        self.device = device
        self.byteCount = byteCount
        self.memory = Mutex(memory)
        self.account = account
    }

    deinit { free() }

    /// Releases the memory object; later uses throw ``BackendError/bufferFreed(_:)``. Freeing twice is harmless.
    func free() {
        let released: cl_mem? = memory.withLock { memory in
            defer { memory = nil }
            return memory
        }
        if let released {
            clReleaseMemObject(released)
            account.release(byteCount)
        }
    }

    /// The memory object, retained for the caller, who must `clReleaseMemObject` it.
    /// - Throws: ``BackendError/bufferFreed(_:)`` after ``free()``.
    func retainedMemory() throws(BackendError) -> cl_mem {
        let retained: cl_mem? = memory.withLock { memory in
            if let memory { clRetainMemObject(memory) }
            return memory
        }
        guard let retained else { throw .bufferFreed(device) }
        return retained
    }
}

/// The bytes a device has handed out, so that allocations beyond its global memory fail with a
/// typed error before the driver is asked (many drivers allocate lazily and fail only at first use).
final class MemoryAccount: Sendable {
    /// The device's global memory.
    let capacity: Int
    private let used = Atomic<Int>(0)

    init(capacity: Int) { self.capacity = capacity }

    /// Charges `bytes`, or returns `false` (charging nothing) when they would exceed the capacity.
    func reserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while true {
            guard current <= capacity - bytes else { return false }
            let (exchanged, original) = used.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Returns `bytes` charged earlier.
    func release(_ bytes: Int) { used.subtract(bytes, ordering: .relaxed) }

    /// Bytes not yet handed out.
    var available: Int { capacity - used.load(ordering: .relaxed) }
}
