/// An element type as a safetensors header spells it: acc's five dtypes, plus `F64` and `I64`, which are
/// read (converted to `f32` and `i32`) but never written.
enum SafetensorsDType: String, CaseIterable, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", i32 = "I32", bool = "BOOL", f64 = "F64", i64 = "I64"

    /// The spelling of an acc dtype.
    init(_ dtype: DType) {
        switch dtype {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .i32: self = .i32
        case .bool: self = .bool
        }
    }

    /// The acc dtype a tensor stored in this format is read as.
    var dtype: DType {
        switch self {
        case .f32, .f64: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .i32, .i64: .i32
        case .bool: .bool
        }
    }

    /// The size of one stored element in bytes.
    var byteCount: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16: 2
        case .bool: 1
        }
    }

    /// The position of an acc dtype's tensors in the data buffer: the reference writer's order, widest
    /// first, so that with the header padded to 8 bytes every element is aligned to its size.
    static func layoutRank(of dtype: DType) -> Int {
        switch dtype {
        case .f32: 0
        case .i32: 1
        case .bf16: 2
        case .f16: 3
        case .bool: 4
        }
    }

    /// The elements of `raw`, stored little-endian in this format, widened to `Double`.
    ///
    /// `F64` is rounded to f32 and `BOOL` reads any nonzero byte as true. `tensor` names the tensor in errors.
    /// - Returns: the scalars, or ``SafetensorsError/valueOutOfRange(tensor:value:)`` for an `I64`
    ///   element outside `Int32`'s range. (A `Result`, because the caller runs this inside `withUnsafeBytes`.)
    func decode(_ raw: UnsafeRawBufferPointer, tensor: String) -> Result<[Double], SafetensorsError> {
        let count = raw.count / byteCount
        func load<T: FixedWidthInteger>(_ index: Int, as type: T.Type) -> T {
            T(littleEndian: raw.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
        }
        switch self {
        case .f32: return .success((0..<count).map { Double(Float(bitPattern: load($0, as: UInt32.self))) })
        case .f16: return .success((0..<count).map { HalfPrecisionBits.value(f16: load($0, as: UInt16.self)) })
        case .bf16: return .success((0..<count).map { HalfPrecisionBits.value(bf16: load($0, as: UInt16.self)) })
        case .i32: return .success((0..<count).map { Double(load($0, as: Int32.self)) })
        case .bool: return .success((0..<count).map { load($0, as: UInt8.self) != 0 ? 1 : 0 })
        case .f64: return .success((0..<count).map { DType.f32.converting(Double(bitPattern: load($0, as: UInt64.self))) })
        case .i64:
            var scalars: [Double] = []
            scalars.reserveCapacity(count)
            for index in 0..<count {
                let value = load(index, as: Int64.self)
                guard let narrowed = Int32(exactly: value) else {
                    return .failure(.valueOutOfRange(tensor: tensor, value: value))
                }
                scalars.append(Double(narrowed))
            }
            return .success(scalars)
        }
    }

    /// Stores `scalars` little-endian as `dtype` into `raw`, which holds exactly their bytes.
    ///
    /// Each scalar is first converted to `dtype` (``DType/converting(_:)``), so values a ``TensorValue`` of
    /// that dtype could not hold are rounded, truncated or saturated as the interpreter would, never trapped on.
    static func encode(_ scalars: [Double], as dtype: DType, into raw: UnsafeMutableRawBufferPointer) {
        func store<T: FixedWidthInteger>(_ value: T, at index: Int) {
            raw.storeBytes(of: value.littleEndian, toByteOffset: index * MemoryLayout<T>.size, as: T.self)
        }
        for (index, scalar) in scalars.enumerated() {
            switch dtype {
            case .f32: store(Float(scalar).bitPattern, at: index)
            case .f16: store(HalfPrecisionBits.f16(from: scalar), at: index)
            case .bf16: store(HalfPrecisionBits.bf16(from: scalar), at: index)
            // `converting` truncates, saturates to 32 bits and maps NaN to 0, so the conversion cannot trap.
            case .i32: store(Int32(DType.i32.converting(scalar)), at: index)
            case .bool: store(UInt8(scalar != 0 ? 1 : 0), at: index)
            }
        }
    }
}
