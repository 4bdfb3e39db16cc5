import KernelIR

/// Independent, reproducible random draws keyed by (seed, purpose, item): each item of each purpose
/// (a clip's discs, a batch's noise) gets its own Philox key, so any item is computed alone, in any
/// order, on any thread, with the same result.
struct RandomStream: Sendable {
    /// What a stream is drawn for; part of the key, so streams never overlap.
    enum Purpose: UInt64 {
        case clip = 1, noise, time, sample
    }

    let generator: Philox

    /// The stream for `item` of `purpose` under `seed`.
    init(seed: UInt64, purpose: Purpose, item: Int) {
        var state = seed
        state = Self.mixed(state ^ (purpose.rawValue &* 0x9E37_79B9_7F4A_7C15))
        state = Self.mixed(state ^ UInt64(truncatingIfNeeded: item))
        generator = Philox(seed: Int(truncatingIfNeeded: state))
    }

    /// Draw `index` in [0, 1).
    func uniform(_ index: Int) -> Double { generator.uniform(at: index) }

    /// Draw `index` in [`low`, `high`).
    func uniform(_ index: Int, in range: Range<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * generator.uniform(at: index)
    }

    /// Draw `index` from N(0, 1).
    func normal(_ index: Int) -> Double { generator.normal(at: index) }

    /// SplitMix64's finalizer: a bijection that spreads every input bit over the output.
    static func mixed(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
