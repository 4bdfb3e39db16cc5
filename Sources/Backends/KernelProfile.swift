import Foundation
import Synchronization

/// Wall time spent in each kernel of an executable, summed over runs, for finding what to optimize.
///
/// Off unless `ACC_PROFILE=1` is set when the executable is compiled, so the launch path pays
/// nothing by default.
public final class KernelProfile: Sendable {
    /// One kernel's totals.
    public struct Entry: Sendable {
        /// The kernel's name.
        public var name: String
        /// `loop`, `reduction` or `contraction`.
        public var kind: String
        /// Seconds summed over all runs.
        public var seconds: Double
        /// Runs counted.
        public var calls: Int
    }

    private let names: [(name: String, kind: String)]
    private let totals: Mutex<[(nanoseconds: UInt64, calls: Int)]>

    /// Whether profiling is requested by the environment.
    public static let isEnabled = ProcessInfo.processInfo.environment["ACC_PROFILE"] == "1"

    /// A profile for kernels with these names and kinds, or `nil` when profiling is off.
    public static func makeIfEnabled(kernels: [(name: String, kind: String)]) -> KernelProfile? {
        isEnabled ? KernelProfile(kernels: kernels) : nil
    }

    init(kernels: [(name: String, kind: String)]) {
        names = kernels
        totals = Mutex(Array(repeating: (0, 0), count: kernels.count))
    }

    /// Adds one run of kernel `index` that took `nanoseconds`.
    public func record(_ index: Int, nanoseconds: UInt64) {
        totals.withLock { $0[index].nanoseconds += nanoseconds; $0[index].calls += 1 }
    }

    /// Every kernel's totals, slowest first.
    public var entries: [Entry] {
        let snapshot = totals.withLock { $0 }
        return zip(names, snapshot).map { Entry(name: $0.name, kind: $0.kind, seconds: Double($1.nanoseconds) / 1e9, calls: $1.calls) }
            .sorted { $0.seconds > $1.seconds }
    }
}

/// An executable that can report where its time went.
public protocol Profiled {
    /// The per-kernel profile, when profiling was on at compile time.
    var profile: KernelProfile? { get }
}
