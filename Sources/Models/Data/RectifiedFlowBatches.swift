import KernelIR

/// The endless stream of training batches for a VDiT configuration: bouncing-shapes clips with their
/// noise and times, batch `k` a pure function of (seed, k).
///
/// Because nothing is carried from one batch to the next, a run that resumes at step `k` draws exactly
/// the batches an uninterrupted run would have drawn.
public struct RectifiedFlowBatches: Sendable {
    /// The clips.
    public let data: BouncingShapes
    /// Clips per batch.
    public let batchSize: Int

    /// Batches shaped for `configuration` (its batch size, frames, resolution, channels), drawn from `seed`.
    public init(configuration: VDiTConfiguration, seed: UInt64) {
        data = BouncingShapes(frames: configuration.frames, resolution: configuration.resolution,
                              channels: configuration.channels, seed: seed)
        batchSize = configuration.batchSize
    }

    /// Batch `index`: clips `index * B ..< (index + 1) * B`, eps ~ N(0, 1), t ~ U(0, 1).
    public func batch(at index: Int) -> TrainingBatch {
        let clipType = TensorType(.f32, [batchSize, data.frames, data.resolution, data.resolution, data.channels])
        var clips: [Double] = []
        clips.reserveCapacity(clipType.elementCount)
        for clip in 0..<batchSize { clips += data.clip(at: index * batchSize + clip) }
        let noise = RandomStream(seed: data.seed, purpose: .noise, item: index)
        let times = RandomStream(seed: data.seed, purpose: .time, item: index)
        return TrainingBatch(x0: TensorValue(converting: clips, to: clipType),
                             eps: TensorValue(converting: (0..<clipType.elementCount).map(noise.normal), to: clipType),
                             t: TensorValue(converting: (0..<batchSize).map(times.uniform), to: TensorType(.f32, [batchSize])))
    }
}
