/// The gradients of a channels-last convolution, as convolutions: the input gradient is the
/// output adjoint dilated by the stride and convolved with the flipped, channel-transposed filter;
/// the filter gradient correlates the input with the output adjoint (stride and dilation swap roles).
struct ConvolutionVJP {
    let builder: GraphBuilder
    let attributes: Convolution

    private var rules: VJPRules { VJPRules(builder: builder) }

    func inputGradient(_ g: Value, input: Value, filter: Value) throws(KIRError) -> Value {
        let b = builder
        let inputShape = b.type(of: input).shape, filterShape = b.type(of: filter).shape
        let spatialRank = inputShape.rank - 2
        let groups = attributes.groups
        let channels = inputShape[inputShape.rank - 1], outputs = filterShape[filterShape.rank - 1]

        // Spread the adjoint by the stride, then pad (or trim) so a stride-1 convolution lands on every input position.
        var spread = g
        for axis in 0..<spatialRank { spread = try rules.dilate(spread, axis: axis + 1, by: attributes.stride[axis]) }
        var low = [Int](repeating: 0, count: spatialRank), high = low
        var trimStart = [Int](repeating: 0, count: inputShape.rank), trimLimit = b.type(of: spread).shape.dimensions
        for axis in 0..<spatialRank {
            let reach = attributes.dilation[axis] * (filterShape[axis] - 1)
            let spreadLength = b.type(of: spread).shape[axis + 1]
            let padLow = reach - attributes.paddingLow[axis]
            let padHigh = inputShape[axis + 1] - spreadLength - padLow + reach
            if padLow >= 0 { low[axis] = padLow } else { trimStart[axis + 1] = -padLow }
            if padHigh >= 0 { high[axis] = padHigh } else { trimLimit[axis + 1] += padHigh }
        }
        if trimStart.contains(where: { $0 > 0 }) || trimLimit != b.type(of: spread).shape.dimensions {
            spread = try b.slice(spread, start: trimStart, limit: trimLimit)
        }

        // Filter [k..., c/g, o] -> flipped [k..., o/g, c] with the group's channels transposed.
        let kernel = Array(filterShape.dimensions.prefix(spatialRank))
        let flipped = try b.reverse(filter, axes: Array(0..<spatialRank))
        let split = try b.reshape(flipped, to: Shape(kernel + [channels / groups, groups, outputs / groups]))
        let swapped = try b.permute(split, Array(0..<spatialRank) + [spatialRank + 2, spatialRank + 1, spatialRank])
        let transposedFilter = try b.reshape(swapped, to: Shape(kernel + [outputs / groups, channels]))

        let ones = [Int](repeating: 1, count: spatialRank)
        return try b.convolution(spread, transposedFilter,
                                 Convolution(stride: ones, paddingLow: low, paddingHigh: high, dilation: attributes.dilation, groups: groups))
    }

    func filterGradient(_ g: Value, input: Value, filter: Value) throws(KIRError) -> Value {
        let b = builder
        let inputShape = b.type(of: input).shape, filterShape = b.type(of: filter).shape, gradientShape = b.type(of: g).shape
        let spatialRank = inputShape.rank - 2
        let groups = attributes.groups
        let channels = inputShape[inputShape.rank - 1], outputs = filterShape[filterShape.rank - 1]
        let kernel = Array(filterShape.dimensions.prefix(spatialRank))
        let last = inputShape.rank - 1
        // Batch and channel swap places: the input becomes [c, spatial..., n], the adjoint a filter [out spatial..., n, o].
        let toChannelsFirst = [last] + Array(1...spatialRank) + [0]
        let adjointAsFilter = Array(1...spatialRank) + [0, last]
        var pieces: [Value] = []
        for group in 0..<groups {
            var inputGroup = input, adjointGroup = g
            if groups > 1 {
                var start = [Int](repeating: 0, count: inputShape.rank), limit = inputShape.dimensions
                start[last] = group * channels / groups
                limit[last] = (group + 1) * channels / groups
                inputGroup = try b.slice(input, start: start, limit: limit)
                var gradientStart = [Int](repeating: 0, count: gradientShape.rank), gradientLimit = gradientShape.dimensions
                gradientStart[last] = group * outputs / groups
                gradientLimit[last] = (group + 1) * outputs / groups
                adjointGroup = try b.slice(g, start: gradientStart, limit: gradientLimit)
            }
            let correlated = try b.convolution(
                b.permute(inputGroup, toChannelsFirst), b.permute(adjointGroup, adjointAsFilter),
                Convolution(stride: attributes.dilation, paddingLow: attributes.paddingLow,
                            paddingHigh: attributes.paddingHigh, dilation: attributes.stride))
            // [c/g, k'..., o/g] with k' >= k: keep the first k taps, then move channels after the taps.
            let correlatedShape = b.type(of: correlated).shape
            var limit = correlatedShape.dimensions
            for axis in 0..<spatialRank { limit[axis + 1] = kernel[axis] }
            let trimmed = limit == correlatedShape.dimensions ? correlated
                : try b.slice(correlated, start: [Int](repeating: 0, count: correlatedShape.rank), limit: limit)
            pieces.append(try b.permute(trimmed, Array(1...spatialRank) + [0, spatialRank + 1]))
        }
        return pieces.count == 1 ? pieces[0] : try b.concat(pieces, axis: spatialRank + 1)
    }
}
