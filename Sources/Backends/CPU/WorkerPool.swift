import CNUMA
import Foundation
import Synchronization

/// Threads pinned to one NUMA node's cores that split a range of work with the calling thread.
///
/// ``parallelFor(_:minimumChunk:_:)`` runs work no larger than one chunk inline, with no hand-off,
/// so tiny kernels pay nothing for the pool. Larger work is cut into chunks that the caller and
/// the workers claim from one atomic counter. One parallel loop runs at a time: a second caller
/// (another run, or a nested loop) runs its work inline rather than waiting, so nothing deadlocks
/// and the cores are never oversubscribed. Idle workers spin briefly, then sleep.
final class WorkerPool: Sendable {
    /// Threads that compute a parallel loop: the workers plus the caller.
    let threadCount: Int
    private let shared: Shared
    private let threads: [pthread_t]

    /// Starts `cpus.count - 1` workers, pinned one per CPU after the first (the caller is the
    /// remaining thread). Pinning failures are tolerated: the worker then floats.
    init(cpus: [Int]) {
        let workerCount = max(0, cpus.count - 1)
        threadCount = workerCount + 1
        shared = Shared()
        var threads: [pthread_t] = []
        for index in 0..<workerCount {
            let context = Unmanaged.passRetained(WorkerContext(shared: shared, cpu: cpus[index + 1])).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                Unmanaged<WorkerContext>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            }, context)
            if status == 0 {
                threads.append(thread)
            } else {
                Unmanaged<WorkerContext>.fromOpaque(context).release()
            }
        }
        self.threads = threads
    }

    deinit {
        shared.shutDown()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Calls `body` on disjoint subranges covering `range`, on the pool and the calling thread,
    /// and returns when all are done. `body` runs concurrently on several threads and must touch
    /// only memory its subrange owns. Ranges of at most `minimumChunk` elements run inline.
    func parallelFor(_ range: Range<Int>, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        let chunk = max(1, minimumChunk)
        guard range.count > chunk, !threads.isEmpty, shared.begin() else {
            if !range.isEmpty { body(range) }
            return
        }
        // Four chunks per thread balance cores slowed by other processes.
        let chunkCount = min((range.count + chunk - 1) / chunk, threadCount * 4)
        let chunkSize = (range.count + chunkCount - 1) / chunkCount
        withoutActuallyEscaping(body) { escapable in
            shared.run(Job(body: escapable, lowerBound: range.lowerBound, upperBound: range.upperBound, chunkSize: chunkSize),
                       chunkCount: (range.count + chunkSize - 1) / chunkSize)
        }
    }
}

/// A parallel loop in flight: the body and how the range is cut.
private struct Job {
    var body: (Range<Int>) -> Void
    var lowerBound: Int
    var upperBound: Int
    var chunkSize: Int

    func run(chunk: Int) {
        let start = lowerBound + chunk * chunkSize
        body(start..<min(upperBound, start + chunkSize))
    }
}

/// What the owner of a parallel loop and the workers share.
///
/// `work` packs the loop's generation (high 32 bits) with the number of chunks not yet claimed
/// (low 32 bits). A thread claims a chunk by decrementing it with a compare-and-swap that also
/// checks the generation, so a late worker can never claim a chunk of a loop it did not see
/// published, and it reads `job` only while it holds a claimed chunk, which the owner waits for.
private final class Shared: @unchecked Sendable {
    // Safe because: `job` is written only by the thread that won `isBusy`, before it publishes a
    // new generation in `work` (releasing); other threads read it only after claiming a chunk of
    // that generation (acquiring), and the owner neither returns nor writes `job` again until
    // `pending` (chunks not yet finished) is zero. `sleepers` and `isShuttingDown` are guarded by `condition`.
    private var job: Job?
    private let isBusy = Atomic<Bool>(false)
    let work = Atomic<UInt64>(0)
    private let pending = Atomic<Int>(0)
    private let condition = NSCondition()
    private var sleepers = 0
    private var isShuttingDown = false

    /// Iterations a worker polls for new work before it sleeps: some tens of microseconds, so the
    /// kernels of one run, launched back to back, find the workers awake.
    private static let spinLimit = 1 << 14

    /// Takes the pool for one loop, or returns `false` if another loop holds it.
    func begin() -> Bool {
        isBusy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    /// Publishes `job`, works on it, waits until every chunk is done, and releases the pool.
    func run(_ job: Job, chunkCount: Int) {
        self.job = job
        pending.store(chunkCount, ordering: .relaxed)
        let generation = (work.load(ordering: .relaxed) >> 32) &+ 1
        let published = generation << 32 | UInt64(chunkCount)
        work.store(published, ordering: .releasing)
        condition.lock()
        if sleepers > 0 { condition.broadcast() }
        condition.unlock()
        drain(generation: generation & 0xFFFF_FFFF)
        var spins = 0
        while pending.load(ordering: .acquiring) > 0 {
            spins += 1
            if spins > 64 { sched_yield() }
        }
        self.job = nil
        isBusy.store(false, ordering: .releasing)
    }

    /// Claims and runs chunks of loop `generation` until none is left.
    func drain(generation: UInt64) {
        var current = work.load(ordering: .acquiring)
        while current >> 32 == generation, current & 0xFFFF_FFFF > 0 {
            let (exchanged, original) = work.compareExchange(expected: current, desired: current - 1, ordering: .acquiringAndReleasing)
            guard exchanged else {
                current = original
                continue
            }
            runClaimed(chunk: Int(current & 0xFFFF_FFFF) - 1)
            pending.subtract(1, ordering: .releasing)
            current = work.load(ordering: .acquiring)
        }
    }

    /// Runs one claimed chunk. Not inlined so that every reference this thread takes to the job's
    /// closure is released before the call returns, hence before `pending` says the chunk is done:
    /// `withoutActuallyEscaping` checks that no reference outlives the loop.
    @inline(never)
    private func runClaimed(chunk: Int) {
        job?.run(chunk: chunk)
    }

    /// A worker's life: wait for a new generation, help with it, repeat until shut down.
    func serve() {
        var seen = work.load(ordering: .acquiring) >> 32
        while true {
            var spins = 0
            var generation = work.load(ordering: .acquiring) >> 32
            while generation == seen {
                spins += 1
                if spins >= Shared.spinLimit {
                    condition.lock()
                    sleepers += 1
                    while work.load(ordering: .acquiring) >> 32 == seen, !isShuttingDown { condition.wait() }
                    sleepers -= 1
                    let stop = isShuttingDown
                    condition.unlock()
                    if stop { return }
                    spins = 0
                }
                generation = work.load(ordering: .acquiring) >> 32
            }
            seen = generation
            drain(generation: generation)
        }
    }

    func shutDown() {
        condition.lock()
        isShuttingDown = true
        condition.broadcast()
        condition.unlock()
    }
}

/// What a worker thread is started with.
private final class WorkerContext: Sendable {
    let shared: Shared
    let cpu: Int

    init(shared: Shared, cpu: Int) {
        self.shared = shared
        self.cpu = cpu
    }

    func run() {
        // Pinning is an optimisation: a container may forbid it, and the worker then floats.
        if let mask = numa_allocate_cpumask() {
            if cpu < Int(numa_bitmask_nbytes(mask)) * 8 {
                numa_bitmask_setbit(mask, UInt32(cpu))
                _ = numa_sched_setaffinity(0, mask)
            }
            numa_bitmask_free(mask)
        }
        shared.serve()
    }
}
