import Foundation

/// Philox-4x32-10, the counter-based generator behind the `random_*` ops: the output for a counter
/// depends only on the key and the counter, so any device can compute element `i` independently
/// and every run reproduces the same bits (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3").
public struct Philox: Sendable {
    /// The 64-bit key, split in two words.
    public let key: (UInt32, UInt32)

    /// A generator keyed by `seed`.
    public init(seed: Int) {
        let bits = UInt64(truncatingIfNeeded: seed)
        key = (UInt32(truncatingIfNeeded: bits), UInt32(truncatingIfNeeded: bits >> 32))
    }

    /// The four words for a 128-bit counter.
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for _ in 0..<10 {
            let product0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let product1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let (hi0, lo0) = (UInt32(product0 >> 32), UInt32(truncatingIfNeeded: product0))
            let (hi1, lo1) = (UInt32(product1 >> 32), UInt32(truncatingIfNeeded: product1))
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
            k0 &+= 0x9E37_79B9
            k1 &+= 0xBB67_AE85
        }
        return (c0, c1, c2, c3)
    }

    /// Element `index` of a `random_uniform` tensor: a multiple of 2^-24 in [0, 1), exact in every float dtype's range.
    public func uniform(at index: Int) -> Double {
        let words = block(counter(index))
        return Double(words.0 >> 8) * 0x1p-24
    }

    /// Element `index` of a `random_normal` tensor, by the Box-Muller transform of two 24-bit uniforms.
    public func normal(at index: Int) -> Double {
        let words = block(counter(index))
        let u1 = (Double(words.0 >> 8) + 1) * 0x1p-24  // in (0, 1], so the logarithm is finite
        let u2 = Double(words.1 >> 8) * 0x1p-24
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    private func counter(_ index: Int) -> (UInt32, UInt32, UInt32, UInt32) {
        let bits = UInt64(truncatingIfNeeded: index)
        return (UInt32(truncatingIfNeeded: bits), UInt32(truncatingIfNeeded: bits >> 32), 0, 0)
    }
}
