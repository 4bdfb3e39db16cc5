import Foundation
import Testing
@testable import KernelIR
@testable import Models

@Test func gifOfABatchHasOneFramePerTimeStepAndAGridOfClips() throws {
    let type = TensorType(.f32, [3, 4, 5, 6, 3])
    let values: [Double] = (0..<type.elementCount).map { (index: Int) -> Double in Double(index % 7) / 3 - 1 }
    let clips = TensorValue(converting: values, to: type)
    let gif = AnimatedGIF(clips: clips, scale: 2)
    let decoded = try GIFDecoder(gif.encoded())
    #expect(decoded.version == "GIF89a")
    #expect(decoded.loops)
    #expect(decoded.frames.count == 4)
    // 3 clips in a 2 x 2 grid of 12 x 10 cells with 1-pixel gaps.
    #expect(decoded.width == 25)
    #expect(decoded.height == 21)
    #expect(decoded.frames == gif.frames)
}

@Test(arguments: [0, 1, 255, 256, 5000, 70_000])
func lzwRoundTrips(_ count: Int) throws {
    // A repeating ramp compresses well (long strings); a scrambled one fills the table and forces clear codes.
    let ramp = (0..<count).map { UInt8($0 / 3 % 256) }
    let scrambled = (0..<count).map { UInt8(truncatingIfNeeded: RandomStream.mixed(UInt64($0)) % 251) }
    for pixels in [ramp, scrambled] {
        #expect(try GIFDecoder.decompress(LZW.encode(pixels), minimumCodeSize: 8) == pixels)
    }
}

@Test func paletteIndicesCoverTheCubeCorners() {
    let palette = AnimatedGIF.palette
    func colour(_ index: UInt8) -> [UInt8] { Array(palette[(Int(index) * 3)..<(Int(index) * 3 + 3)]) }
    #expect(colour(AnimatedGIF.paletteIndex(red: -1, green: -1, blue: -1)) == [0, 0, 0])
    #expect(colour(AnimatedGIF.paletteIndex(red: 1, green: 1, blue: 1)) == [255, 255, 255])
    #expect(colour(AnimatedGIF.paletteIndex(red: 1, green: -1, blue: -1)) == [255, 0, 0])
    #expect(colour(AnimatedGIF.paletteIndex(red: .nan, green: 5, blue: -5)) == [0, 255, 0])
}
