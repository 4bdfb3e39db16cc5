import Foundation
import KernelIR

/// An animated GIF (GIF89a) of video clips: the frames of a batch laid out in a grid, looping forever.
///
/// Colours are quantized to a fixed 6x7x6 RGB cube (252 colours), good enough to see moving shapes and
/// free of any per-clip palette search. Encoding is GIF's own LZW, written here, so nothing is linked.
///
/// ```swift
/// let gif = AnimatedGIF(clips: samples, scale: 4)        // samples: [B, T, H, W, 3] in [-1, 1]
/// try gif.write(to: URL(fileURLWithPath: "samples/step-300.gif"))
/// ```
public struct AnimatedGIF: Hashable, Sendable {
    /// Width of each frame in pixels.
    public let width: Int
    /// Height of each frame in pixels.
    public let height: Int
    /// Each frame's palette indices, row-major, `width * height` each.
    public let frames: [[UInt8]]
    /// How long each frame shows, in hundredths of a second.
    public let frameDelay: Int

    /// A GIF of `clips` (`[B, T, H, W, C]` or `[T, H, W, C]`, values in [-1, 1], C = 1 or 3): the B clips
    /// side by side in a near-square grid with 1-pixel gaps, every pixel shown as a `scale` x `scale` block.
    public init(clips: TensorValue, scale: Int = 4, frameDelay: Int = 12) {
        let dimensions = clips.shape.dimensions
        precondition(dimensions.count == 4 || dimensions.count == 5, "AnimatedGIF: clips must be [B, T, H, W, C] or [T, H, W, C]")
        let shape = dimensions.count == 5 ? dimensions : [1] + dimensions
        let (count, frameCount, rows, columns, channels) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        precondition(channels == 1 || channels == 3, "AnimatedGIF: 1 or 3 channels")
        let gridColumns = Int(Double(count).squareRoot().rounded(.up))
        let gridRows = (count + gridColumns - 1) / gridColumns
        let cellWidth = columns * scale + 1, cellHeight = rows * scale + 1
        width = gridColumns * cellWidth - 1
        height = gridRows * cellHeight - 1
        self.frameDelay = frameDelay
        let scalars = clips.scalars
        var frames: [[UInt8]] = []
        for frame in 0..<frameCount {
            var pixels = [UInt8](repeating: 0, count: width * height)
            for clip in 0..<count {
                let originX = (clip % gridColumns) * cellWidth, originY = (clip / gridColumns) * cellHeight
                for row in 0..<rows {
                    for column in 0..<columns {
                        let base = (((clip * frameCount + frame) * rows + row) * columns + column) * channels
                        let index = Self.paletteIndex(red: scalars[base], green: scalars[base + (channels == 3 ? 1 : 0)],
                                                      blue: scalars[base + (channels == 3 ? 2 : 0)])
                        for dy in 0..<scale {
                            let start = (originY + row * scale + dy) * width + originX + column * scale
                            for dx in 0..<scale { pixels[start + dx] = index }
                        }
                    }
                }
            }
            frames.append(pixels)
        }
        self.frames = frames
    }

    /// Levels per channel of the colour cube.
    static let levels = (red: 6, green: 7, blue: 6)

    /// The cube entry nearest to a colour in [-1, 1]^3.
    static func paletteIndex(red: Double, green: Double, blue: Double) -> UInt8 {
        func level(_ value: Double, _ count: Int) -> Int {
            let unit = (Swift.min(1, Swift.max(-1, value.isNaN ? -1 : value)) + 1) / 2
            return Int((unit * Double(count - 1)).rounded())
        }
        let index = (level(red, levels.red) * levels.green + level(green, levels.green)) * levels.blue + level(blue, levels.blue)
        return UInt8(index)
    }

    /// The 256-entry global colour table: the cube, then black.
    static let palette: [UInt8] = {
        var table: [UInt8] = []
        for r in 0..<levels.red {
            for g in 0..<levels.green {
                for b in 0..<levels.blue {
                    table += [r, g, b].enumerated().map { axis, level in
                        let count = [levels.red, levels.green, levels.blue][axis]
                        return UInt8((Double(level) * 255 / Double(count - 1)).rounded())
                    }
                }
            }
        }
        return table + [UInt8](repeating: 0, count: 768 - table.count)
    }()

    /// The file's bytes: header, screen, global palette, looping extension, then per frame a graphic
    /// control extension, image descriptor and LZW data; then the trailer.
    public func encoded() -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF)] }
        var bytes = Array("GIF89a".utf8)
        // Global colour table present, 8-bit colour resolution, 2^(7+1) = 256 entries.
        bytes += u16(width) + u16(height) + [0xF7, 0, 0]
        bytes += Self.palette
        bytes += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01] + u16(0) + [0x00]
        for frame in frames {
            // Disposal "do not dispose" (1 << 2), no transparency.
            bytes += [0x21, 0xF9, 0x04, 0x04] + u16(frameDelay) + [0x00, 0x00]
            bytes += [0x2C] + u16(0) + u16(0) + u16(width) + u16(height) + [0x00]
            bytes.append(UInt8(LZW.minimumCodeSize))
            let compressed = LZW.encode(frame)
            var offset = 0
            while offset < compressed.count {
                let length = Swift.min(255, compressed.count - offset)
                bytes.append(UInt8(length))
                bytes += compressed[offset..<(offset + length)]
                offset += length
            }
            bytes.append(0x00)
        }
        bytes.append(0x3B)
        return bytes
    }

    /// Writes the GIF to `url` atomically, creating its directory if needed.
    /// - Throws: ``TrainingError/writeFailed(path:reason:)`` when the directory cannot be made or the file written.
    public func write(to url: URL) throws(TrainingError) {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(encoded()).write(to: url, options: .atomic)
        } catch {
            throw .writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }
}
