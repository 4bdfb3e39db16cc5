/// The contents of a safetensors file: named tensors and string metadata, the format PyTorch, JAX and
/// Hugging Face use to exchange weights.
///
/// A file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
/// `{"dtype", "shape", "data_offsets"}` (plus an optional `"__metadata__"` object of strings), then the
/// tensors' little-endian bytes. Reading accepts `F32`, `F16`, `BF16`, `I32` and `BOOL`, and converts `F64`
/// to `f32` and `I64` to `i32`; writing produces the first five. The whole file is held in memory.
///
/// ```swift
/// let weights = try SafetensorsFile(contentsOf: URL(fileURLWithPath: "weights.safetensors"))
/// let qkv = try weights.tensor(named: "blocks.0.qkv.weight")   // f32[32, 96]
/// ```
public struct SafetensorsFile: Hashable, Sendable {
    /// The tensors, by name. A name may be any string except `__metadata__`.
    public var tensors: [String: TensorValue]
    /// Free-form string metadata, stored under the header's `__metadata__` key; empty when the file has none.
    public var metadata: [String: String]

    /// Creates file contents from tensors and metadata, for ``serialized()`` or ``write(to:)``.
    public init(tensors: [String: TensorValue] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads a safetensors file from its bytes, checking every header entry before any data is decoded.
    ///
    /// Gaps between tensors and unused trailing bytes are accepted; a `BOOL` byte other than 0 reads as true.
    /// - Throws: ``SafetensorsError`` for a short file, a header length that is absurd or runs past the
    ///   end, a header that is not UTF-8 JSON, a malformed entry or metadata, an unknown dtype, a size that
    ///   overflows or disagrees with the offsets, offsets outside the data or overlapping, or an `I64`
    ///   value outside `i32`'s range.
    public init(bytes: [UInt8]) throws(SafetensorsError) {
        guard bytes.count >= 8 else { throw .fileTooShort(byteCount: bytes.count) }
        let headerByteCount = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerByteCount <= UInt64(SafetensorsHeader.maximumByteCount) else {
            throw .headerTooLarge(byteCount: headerByteCount, limit: SafetensorsHeader.maximumByteCount)
        }
        let dataStart = 8 + Int(headerByteCount)
        guard dataStart <= bytes.count else {
            throw .headerExceedsFile(headerByteCount: headerByteCount, availableByteCount: bytes.count - 8)
        }
        let header = try SafetensorsHeader(parsing: Array(bytes[8..<dataStart]), dataByteCount: bytes.count - dataStart)
        var tensors: [String: TensorValue] = [:]
        for entry in header.entries {
            let range = (dataStart + entry.offsets.lowerBound)..<(dataStart + entry.offsets.upperBound)
            let decoded = bytes.withUnsafeBytes { raw in
                entry.dtype.decode(UnsafeRawBufferPointer(rebasing: raw[range]), tensor: entry.name)
            }
            tensors[entry.name] = TensorValue(TensorType(entry.dtype.dtype, entry.shape), scalars: try decoded.get())
        }
        self.init(tensors: tensors, metadata: header.metadata)
    }

    /// The tensor called `name`.
    ///
    /// Prefer this to `tensors[name]` where a missing tensor is an error: the error names the key and
    /// suggests near misses, such as `blocks.0.qkv.weight` for `blocks.0.qkv.weigth`.
    /// - Throws: ``SafetensorsError/tensorNotFound(_:suggestions:available:)``.
    public func tensor(named name: String) throws(SafetensorsError) -> TensorValue {
        if let tensor = tensors[name] { return tensor }
        let available = tensors.keys.sorted()
        // Suggest the nearest names, if within a third of the name's length in edits (at least 1, at most 3).
        let tolerance = Swift.max(1, Swift.min(3, name.count / 3))
        let distances = available.map { (name: $0, distance: AttributeTable.editDistance(name, $0)) }
        let nearest = Swift.min(tolerance, distances.map(\.distance).min() ?? tolerance)
        let suggestions = distances.filter { $0.distance <= nearest }.prefix(3).map(\.name)
        throw .tensorNotFound(name, suggestions: suggestions, available: available)
    }

    /// The file's bytes, laid out as the reference implementation writes them.
    ///
    /// Tensors are ordered by dtype, widest first (f32, i32, bf16, f16, bool), then by name; the header lists
    /// `__metadata__` first (with sorted keys, omitted when empty), then the tensors in data order, and is padded
    /// with spaces to a multiple of 8 bytes so every element is aligned to its size. The same contents always
    /// give the same bytes. Scalars are converted to their tensor's dtype as ``DType/converting(_:)`` does.
    /// - Throws: ``SafetensorsError/reservedName(_:)`` for a tensor named `__metadata__`, or
    ///   ``SafetensorsError/headerTooLarge(byteCount:limit:)`` if the header would exceed 100 MB.
    public func serialized() throws(SafetensorsError) -> [UInt8] {
        if tensors[SafetensorsHeader.metadataKey] != nil { throw .reservedName(SafetensorsHeader.metadataKey) }
        let ordered = tensors.sorted {
            (SafetensorsDType.layoutRank(of: $0.value.dtype), $0.key) < (SafetensorsDType.layoutRank(of: $1.value.dtype), $1.key)
        }
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { JSONValue.quoted($0.key) + ":" + JSONValue.quoted($0.value) }
            members.append(JSONValue.quoted(SafetensorsHeader.metadataKey) + ":{" + pairs.joined(separator: ",") + "}")
        }
        var dataByteCount = 0
        for (name, tensor) in ordered {
            let end = dataByteCount + tensor.type.byteCount
            let dimensions = tensor.shape.dimensions.map(String.init).joined(separator: ",")
            members.append(JSONValue.quoted(name) + ":{\"dtype\":\"\(SafetensorsDType(tensor.dtype).rawValue)\","
                + "\"shape\":[\(dimensions)],\"data_offsets\":[\(dataByteCount),\(end)]}")
            dataByteCount = end
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        guard header.count <= SafetensorsHeader.maximumByteCount else {
            throw .headerTooLarge(byteCount: UInt64(header.count), limit: SafetensorsHeader.maximumByteCount)
        }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + dataByteCount)
        bytes.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * $0)) })
        bytes.append(contentsOf: header)
        var position = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: dataByteCount))
        bytes.withUnsafeMutableBytes { raw in
            for (_, tensor) in ordered {
                let range = position..<(position + tensor.type.byteCount)
                let destination = UnsafeMutableRawBufferPointer(rebasing: raw[range])
                SafetensorsDType.encode(tensor.scalars, as: tensor.dtype, into: destination)
                position = range.upperBound
            }
        }
        return bytes
    }
}
