/// The sizes of one VDiT configuration, exactly as the reference workload (vdit.md) tabulates them.
public struct VDiTConfiguration: Hashable, Sendable {
    /// The configuration's name, e.g. `vdit-s`.
    public var name: String
    /// Clips per batch.
    public var batchSize: Int
    /// Frames per clip.
    public var frames: Int
    /// Frame height and width.
    public var resolution: Int
    /// Colour channels.
    public var channels: Int
    /// Patch extent in frames, rows and columns.
    public var patch: (time: Int, height: Int, width: Int)
    /// Model width.
    public var width: Int
    /// Attention heads.
    public var heads: Int
    /// Transformer blocks.
    public var depth: Int

    /// Tokens per clip: `T/pt * H/ph * W/pw`.
    public var tokens: Int { frames / patch.time * (resolution / patch.height) * (resolution / patch.width) }
    /// Values per patch: `pt * ph * pw * C`.
    public var patchSize: Int { patch.time * patch.height * patch.width * channels }
    /// Width of one attention head.
    public var headWidth: Int { width / heads }

    /// The unit-test configuration.
    public static let test = VDiTConfiguration(name: "vdit-test", batchSize: 2, frames: 4, resolution: 16, channels: 3,
                                               patch: (2, 4, 4), width: 32, heads: 2, depth: 2)
    /// The benchmark configuration.
    public static let small = VDiTConfiguration(name: "vdit-s", batchSize: 8, frames: 8, resolution: 32, channels: 3,
                                                patch: (2, 4, 4), width: 128, heads: 4, depth: 4)
    /// The scaling configuration.
    public static let medium = VDiTConfiguration(name: "vdit-m", batchSize: 4, frames: 16, resolution: 64, channels: 3,
                                                 patch: (2, 8, 8), width: 256, heads: 8, depth: 6)
    /// Every configuration, for lookup by name.
    public static let all = [test, small, medium]

    /// Matrix-product FLOPs of one forward pass, counted as vdit.md says (2 per multiply-add of every
    /// linear layer and both attention products); a training step counts 3x this.
    public var forwardFLOPs: Int {
        let rows = batchSize * tokens
        let d = width
        let perBlock = 2 * rows * d * (3 * d) + 2 * rows * d * d + 2 * 2 * rows * d * (4 * d)
            + 2 * 2 * batchSize * tokens * tokens * d + 2 * batchSize * d * (6 * d)
        let embed = 2 * rows * patchSize * d + 2 * batchSize * (64 * d + d * d)
        let final = 2 * batchSize * d * (2 * d) + 2 * rows * d * patchSize
        return embed + depth * perBlock + final
    }

    public static func == (lhs: VDiTConfiguration, rhs: VDiTConfiguration) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
