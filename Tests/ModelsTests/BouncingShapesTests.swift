import Foundation
import Testing
@testable import KernelIR
@testable import Models

@Test func clipsAreDeterministicFromTheSeed() {
    let data = BouncingShapes(frames: 6, resolution: 16, seed: 9)
    #expect(data.clip(at: 3) == data.clip(at: 3))
    #expect(data.clip(at: 3) == BouncingShapes(frames: 6, resolution: 16, seed: 9).clip(at: 3))
    #expect(data.clip(at: 3) != data.clip(at: 4))
    #expect(data.clip(at: 3) != BouncingShapes(frames: 6, resolution: 16, seed: 10).clip(at: 3))
}

@Test(arguments: 0..<20)
func clipsHoldOneToThreeDiscsOnADarkBackgroundThatMove(_ index: Int) {
    let data = BouncingShapes(frames: 8, resolution: 32, seed: 1)
    let clip = data.clip(at: index)
    #expect(clip.count == 8 * 32 * 32 * 3)
    #expect(clip.allSatisfy { $0 >= -1 && $0 <= 1 })
    let discs = data.discs(of: index)
    #expect((1...3).contains(discs.count))
    let frameSize = 32 * 32 * 3
    let backgroundShare = Double(clip.filter { $0 == BouncingShapes.background }.count) / Double(clip.count)
    #expect(backgroundShare > 0.3, "the background dominates")
    #expect(backgroundShare < 1, "some disc is visible")
    // Discs move at constant non-zero velocity, so consecutive frames differ.
    #expect(Array(clip[0..<frameSize]) != Array(clip[frameSize..<(2 * frameSize)]))
}

@Test func discsReflectOffTheEdgesAndStayInside() {
    var disc = BouncingShapes.Disc(x: 3, y: 28, velocityX: -2, velocityY: 1.5, radius: 2.5, colour: [1, 1, 1])
    for _ in 0..<200 {
        BouncingShapes.advance(&disc, within: 32)
        #expect(disc.x >= disc.radius && disc.x <= 32 - disc.radius)
        #expect(disc.y >= disc.radius && disc.y <= 32 - disc.radius)
        #expect(Swift.abs(disc.velocityX) == 2 && Swift.abs(disc.velocityY) == 1.5, "speed is kept")
    }
}

@Test func batchesHaveTheModelsShapesAndDistributions() throws {
    let batches = RectifiedFlowBatches(configuration: .test, seed: 5)
    let batch = batches.batch(at: 2)
    try batch.validate(for: .test)
    #expect(batch == batches.batch(at: 2))
    #expect(batch != batches.batch(at: 3))
    // Clips 4 and 5 of the data set, in order.
    #expect(Array(batch.x0.scalars.prefix(batches.data.clipElementCount)) == batches.data.clip(at: 4).map(DType.f32.converting))
    #expect(batch.t.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
    let noise = batch.eps.scalars
    let mean = noise.reduce(0, +) / Double(noise.count)
    let variance = noise.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(noise.count)
    #expect(Swift.abs(mean) < 0.05 && Swift.abs(variance - 1) < 0.1, "eps ~ N(0, 1) over \(noise.count) draws")
}

@Test func loaderYieldsTheSourcesBatchesInOrderFromItsStart() {
    let source = RectifiedFlowBatches(configuration: .test, seed: 3)
    let loader = BatchLoader(source, startingAt: 5, lookahead: 2)
    for index in 5..<10 {
        #expect(loader.nextIndex == index)
        #expect(loader.next() == source.batch(at: index))
    }
}

@Test func aBatchOfTheWrongShapeNamesTheExpectedShape() {
    let clip = TensorType(.f32, [2, 4, 8, 8, 3])
    let batch = TrainingBatch(x0: TensorValue(repeating: 0, clip), eps: TensorValue(repeating: 0, clip),
                              t: TensorValue(repeating: 0, TensorType(.f32, [2])))
    let error = #expect(throws: TrainingError.self) { try batch.validate(for: .test) }
    #expect(error == .batchShapeMismatch("x0", expected: [2, 4, 16, 16, 3], found: [2, 4, 8, 8, 3], model: "vdit-test with batch size 2"))
    #expect(error?.description == "batch tensor 'x0' has shape [2, 4, 8, 8, 3], but vdit-test with batch size 2 expects [2, 4, 16, 16, 3]; "
        + "regenerate the batch for this model, or pick the model (and --batch-size) it was made for")
}
