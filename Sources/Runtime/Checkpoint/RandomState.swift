/// The position of a counter-based random stream: a seed and how many draws (batches) it has served.
///
/// Counter-based generators such as Philox need nothing else, so saving these two numbers and restoring
/// them continues the stream exactly where it stopped.
public struct RandomState: Hashable, Sendable {
    /// The stream's seed.
    public var seed: UInt64
    /// The next draw's index.
    public var counter: Int

    /// A stream at `counter` draws from its start.
    public init(seed: UInt64, counter: Int = 0) {
        self.seed = seed
        self.counter = counter
    }
}
