import Foundation
import Synchronization
import Testing
@testable import Backends

// The pool covers every index exactly once, inline or split, alone or from many callers at once.

/// Counts visits per index from any thread.
private final class Visits: Sendable {
    private let counts: Mutex<[Int]>
    init(_ count: Int) { counts = Mutex([Int](repeating: 0, count: count)) }
    func visit(_ range: Range<Int>, offset: Int = 0) {
        counts.withLock { counts in for index in range { counts[index - offset] += 1 } }
    }
    var allOnce: Bool { counts.withLock { $0.allSatisfy { $0 == 1 } } }
}

@Test(arguments: [(0, 1), (1, 1), (5, 100), (1000, 1), (1000, 7), (100_003, 1000)])
func parallelForVisitsEveryIndexOnce(count: Int, minimumChunk: Int) {
    let pool = WorkerPool(cpus: [0, 1, 0, 1])
    let visits = Visits(count)
    pool.parallelFor(10..<(10 + count), minimumChunk: minimumChunk) { visits.visit($0, offset: 10) }
    #expect(visits.allOnce)
}

@Test func smallRangesRunInlineOnTheCaller() {
    let pool = WorkerPool(cpus: [0, 1])
    let caller = Thread.current
    var ranInline = false
    pool.parallelFor(0..<8, minimumChunk: 8) { range in
        ranInline = Thread.current == caller && range == 0..<8
    }
    #expect(ranInline)
}

@Test func nestedAndConcurrentLoopsComplete() {
    let pool = WorkerPool(cpus: [0, 1, 0])
    let visits = Visits(64 * 64)
    DispatchQueue.concurrentPerform(iterations: 8) { outer in
        pool.parallelFor(0..<8, minimumChunk: 1) { rows in
            for row in rows {
                let base = (outer * 8 + row) * 64
                pool.parallelFor(base..<(base + 64), minimumChunk: 4) { visits.visit($0) }
            }
        }
    }
    #expect(visits.allOnce)
}
