/// The shape rule of `conv`, and the output-size arithmetic every convolution lowering shares.
public enum ConvolutionShape {
    /// The output size of one spatial dimension, or `nil` when the dilated filter exceeds the padded input.
    public static func outputSize(input: Int, kernel: Int, stride: Int, paddingLow: Int, paddingHigh: Int, dilation: Int) -> Int? {
        let (lowPadded, overflowLow) = input.addingReportingOverflow(paddingLow)
        let (padded, overflowHigh) = lowPadded.addingReportingOverflow(paddingHigh)
        let (reach, overflowSpan) = dilation.multipliedReportingOverflow(by: kernel - 1)
        guard !overflowLow, !overflowHigh, !overflowSpan, kernel >= 1 else { return nil }
        let span = reach + 1
        guard padded >= span else { return nil }
        return (padded - span) / stride + 1
    }

    static func resultType(_ convolution: Convolution, operands: [TensorType], rule: Rule) throws(KIRError) -> TensorType {
        let site = rule.site
        let (input, filter) = try rule.pair()
        try rule.require(input.dtype.isFloatingPoint, input.dtype, "a floating-point input")
        try rule.require(filter.dtype == input.dtype, filter.dtype, "a filter of dtype \(input.dtype)")
        let spatialRank = input.rank - 2
        guard (1...3).contains(spatialRank) else {
            throw .shapeMismatch(site, expected: "an input [n, spatial..., c] with 1 to 3 spatial dimensions", found: input.shape)
        }
        guard filter.rank == input.rank else {
            throw .shapeMismatch(site, expected: "a filter [kernel..., c / groups, o] of rank \(input.rank)", found: filter.shape)
        }
        try rule.requireLength(convolution.stride, spatialRank, "stride")
        try rule.requireLength(convolution.paddingLow, spatialRank, "padding_low")
        try rule.requireLength(convolution.paddingHigh, spatialRank, "padding_high")
        try rule.requireLength(convolution.dilation, spatialRank, "dilation")
        for (name, values, minimum) in [("stride", convolution.stride, 1), ("dilation", convolution.dilation, 1),
                                        ("padding_low", convolution.paddingLow, 0), ("padding_high", convolution.paddingHigh, 0)] {
            if let bad = values.first(where: { $0 < minimum }) {
                throw .invalidAttribute(site, attribute: name, reason: "must be at least \(minimum), got \(bad)")
            }
        }
        let groups = convolution.groups
        let channels = input.shape[input.rank - 1]
        let outputs = filter.shape[filter.rank - 1]
        guard groups >= 1, channels % groups == 0, outputs % groups == 0 else {
            throw .invalidAttribute(site, attribute: "groups",
                                    reason: "must be at least 1 and divide both the \(channels) input and \(outputs) output channels, got \(groups)")
        }
        guard filter.shape[filter.rank - 2] == channels / groups else {
            throw .shapeMismatch(site, expected: "a filter with \(channels / groups) input channels (c / groups) in its second-to-last dimension", found: filter.shape)
        }
        var dimensions = [input.shape[0]]
        for axis in 0..<spatialRank {
            guard let size = outputSize(input: input.shape[axis + 1], kernel: filter.shape[axis],
                                        stride: convolution.stride[axis], paddingLow: convolution.paddingLow[axis],
                                        paddingHigh: convolution.paddingHigh[axis], dilation: convolution.dilation[axis]) else {
                throw .shapeMismatch(site, expected: "a padded input at least as large as the dilated filter along spatial axis \(axis)", found: input.shape)
            }
            dimensions.append(size)
        }
        dimensions.append(outputs)
        return try rule.shape(dimensions, dtype: input.dtype)
    }
}
