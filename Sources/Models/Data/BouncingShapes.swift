/// The synthetic video data set of vdit.md: clips of 1 to 3 filled discs of random radius and colour
/// moving at constant velocity and reflecting off the frame edges, on a dark background, values in [-1, 1].
///
/// Clip `i` depends only on the seed and `i`, so the data set is infinite, needs no download, and any
/// clip can be made alone (by a loader thread, or again after a resume) with identical values.
///
/// ```swift
/// let data = BouncingShapes(frames: 8, resolution: 32, seed: 42)
/// let clip = data.clip(at: 0)     // 8 * 32 * 32 * 3 values, [T, H, W, C] row-major
/// ```
public struct BouncingShapes: Hashable, Sendable {
    /// Frames per clip.
    public var frames: Int
    /// Frame height and width in pixels.
    public var resolution: Int
    /// Colour channels (3: RGB).
    public var channels: Int
    /// The seed every clip derives from.
    public var seed: UInt64

    /// The background's value in every channel: near black.
    public static let background = -0.9

    /// A data set of `frames`-frame clips of `resolution` x `resolution` pixels.
    public init(frames: Int, resolution: Int, channels: Int = 3, seed: UInt64) {
        precondition(frames > 0 && resolution > 0 && channels > 0, "BouncingShapes: sizes must be positive")
        self.frames = frames
        self.resolution = resolution
        self.channels = channels
        self.seed = seed
    }

    /// Values in one clip: `frames * resolution * resolution * channels`.
    public var clipElementCount: Int { frames * resolution * resolution * channels }

    /// One disc's path: where it starts, how it moves, what it looks like.
    struct Disc {
        var x: Double, y: Double
        var velocityX: Double, velocityY: Double
        var radius: Double
        var colour: [Double]
    }

    /// The discs of clip `index` at frame 0.
    func discs(of index: Int) -> [Disc] {
        let random = RandomStream(seed: seed, purpose: .clip, item: index)
        var draw = 0
        func next(_ range: Range<Double>) -> Double {
            defer { draw += 1 }
            return random.uniform(draw, in: range)
        }
        let size = Double(resolution)
        let count = 1 + Int(next(0..<3))
        return (0..<count).map { _ in
            let radius = next((size / 10)..<(size / 4))
            let speed = size / 16
            return Disc(x: next(radius..<(size - radius)), y: next(radius..<(size - radius)),
                        velocityX: next(-speed..<speed), velocityY: next(-speed..<speed), radius: radius,
                        // Bright enough to stand out from the background in at least one channel.
                        colour: (0..<channels).map { _ in next(-0.4..<1) })
        }
    }

    /// Clip `index` as `[T, H, W, C]` row-major values in [-1, 1].
    public func clip(at index: Int) -> [Double] {
        var values = [Double](repeating: Self.background, count: clipElementCount)
        var discs = discs(of: index)
        let size = Double(resolution)
        for frame in 0..<frames {
            for disc in discs {
                let r2 = disc.radius * disc.radius
                let rows = max(0, Int(disc.y - disc.radius))...min(resolution - 1, Int(disc.y + disc.radius))
                let columns = max(0, Int(disc.x - disc.radius))...min(resolution - 1, Int(disc.x + disc.radius))
                for row in rows {
                    for column in columns {
                        // Pixel centres at half-integers; later discs paint over earlier ones.
                        let dx = Double(column) + 0.5 - disc.x, dy = Double(row) + 0.5 - disc.y
                        guard dx * dx + dy * dy <= r2 else { continue }
                        let base = ((frame * resolution + row) * resolution + column) * channels
                        for channel in 0..<channels { values[base + channel] = disc.colour[channel] }
                    }
                }
            }
            for index in discs.indices { Self.advance(&discs[index], within: size) }
        }
        return values
    }

    /// Moves a disc one frame, reflecting it off any edge its rim crosses.
    static func advance(_ disc: inout Disc, within size: Double) {
        disc.x += disc.velocityX
        disc.y += disc.velocityY
        let low = disc.radius, high = size - disc.radius
        if disc.x < low { disc.x = 2 * low - disc.x; disc.velocityX = -disc.velocityX }
        if disc.x > high { disc.x = 2 * high - disc.x; disc.velocityX = -disc.velocityX }
        if disc.y < low { disc.y = 2 * low - disc.y; disc.velocityY = -disc.velocityY }
        if disc.y > high { disc.y = 2 * high - disc.y; disc.velocityY = -disc.velocityY }
    }
}
