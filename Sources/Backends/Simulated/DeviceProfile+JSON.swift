import Foundation
import KernelIR

extension DeviceProfile {
    /// Reads a profile from the JSON text of `file` (accelerators.md's format plus the `simulator` object).
    ///
    /// Every figure is checked: sizes and rates positive, the family's on-chip buffers present,
    /// precisions and dtypes among those the simulator knows.
    /// - Throws: ``BackendError/invalidProfile(file:field:reason:)`` naming the file and the
    ///   dotted JSON path of the first fault.
    public init(json data: Data, file: String) throws(BackendError) {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .invalidProfile(file: file, field: nil, reason: "not valid JSON (\(error.localizedDescription))")
        }
        let reader = try ProfileReader(root, path: "", file: file)
        id = try reader.string("id")
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw reader.fault("id", "must be letters, digits, '-', '_' or '.', found '\(id)'")
        }
        name = try reader.string("name")
        vendor = try reader.optionalString("vendor") ?? "unknown"
        sourceURLs = try reader.strings("source_urls")
        let peaks = try reader.object("peak_flops")
        peakFLOPS = PeakRates(fp32: try peaks.optionalRate("fp32"), bf16: try peaks.optionalRate("bf16"),
                              fp16: try peaks.optionalRate("fp16"), int8: try peaks.optionalRate("int8"))
        guard peakFLOPS.fp32 != nil || peakFLOPS.bf16 != nil || peakFLOPS.fp16 != nil else {
            throw reader.fault("peak_flops", "needs at least one of fp32, bf16, fp16")
        }
        let memory = try reader.object("memory")
        memoryBytes = try memory.size("capacity_bytes")
        bandwidth = try memory.rate("bandwidth_bytes_per_s")
        onChip = try reader.objects("on_chip").map { entry throws(BackendError) in
            OnChipBuffer(name: try entry.string("name"), bytes: try entry.size("bytes"), per: try entry.string("per"))
        }
        let units = try reader.object("compute_units")
        computeUnitKind = try units.string("kind")
        computeUnitCount = try units.size("count")
        let tile = try reader.object("matrix_tile")
        matrixTile = MatrixTile(m: try tile.size("m"), n: try tile.size("n"), k: try tile.size("k"), dtypes: try tile.strings("dtypes"))
        alignmentBytes = try reader.isNull("alignment_bytes") ? nil : try reader.size("alignment_bytes")
        let accumulate = try reader.string("accumulate_dtype")
        guard accumulate == "fp32" else { throw reader.fault("accumulate_dtype", "only 'fp32' accumulation is simulated, found '\(accumulate)'") }
        fp32Matmul = try reader.precision("fp32_matmul")
        let rounding = try reader.string("rounding")
        guard rounding == "nearest_even" else {
            throw reader.fault("rounding", "only 'nearest_even' is simulated (stochastic rounding is off by default on every profile), found '\(rounding)'")
        }
        launchOverhead = try reader.duration("launch_overhead_s")
        let link = try reader.object("interconnect")
        interconnect = Interconnect(name: try link.string("name"), bandwidth: try link.rate("bandwidth_bytes_per_s"),
                                    topology: try link.optionalString("topology") ?? "")

        let simulator = try reader.object("simulator")
        let familyName = try simulator.string("family")
        guard let family = Family(rawValue: familyName) else {
            throw simulator.fault("family", "must be one of \(Family.allCases.map(\.rawValue).joined(separator: ", ")), found '\(familyName)'")
        }
        self.family = family
        for required in family.requiredBuffers where !onChip.contains(where: { $0.name == required }) {
            throw reader.fault("on_chip", "family '\(familyName)' tiles into a buffer named '\(required)', which the profile lacks")
        }
        clockHz = try simulator.rate("clock_hz")
        fp32Convolution = try simulator.has("fp32_convolution") ? try simulator.precision("fp32_convolution") : fp32Matmul
        bf16FlushesSubnormals = try simulator.optionalBool("bf16_flushes_subnormals") ?? false
        let vectorReader = try simulator.object("vector")
        let vectorBuffer = try vectorReader.string("buffer")
        guard onChip.contains(where: { $0.name == vectorBuffer }) else {
            throw vectorReader.fault("buffer", "names '\(vectorBuffer)', which is not among on_chip's buffers (\(onChip.map(\.name).joined(separator: ", ")))")
        }
        let vectorPeaks = try vectorReader.object("peak_flops")
        let vectorRates = PeakRates(fp32: try vectorPeaks.rate("fp32"), bf16: try vectorPeaks.optionalRate("bf16"),
                                    fp16: try vectorPeaks.optionalRate("fp16"), int8: nil)
        var computeDType: [DType: DType] = [.f16: .f32, .bf16: .f32]
        if try vectorReader.has("compute_dtypes") {
            let table = try vectorReader.object("compute_dtypes")
            for (key, dtype) in [("fp16", DType.f16), ("bf16", .bf16)] where try table.has(key) {
                let value = try table.string(key)
                guard value == "fp32" || value == key else {
                    throw table.fault(key, "must be 'fp32' or '\(key)', found '\(value)'")
                }
                computeDType[dtype] = value == "fp32" ? .f32 : dtype
            }
        }
        vector = VectorUnit(buffer: vectorBuffer, units: try vectorReader.size("units"), granuleBytes: try vectorReader.size("granule_bytes"),
                            peakFLOPS: vectorRates, computeDType: computeDType)
        notes = [try reader.optionalString("notes"), try simulator.optionalString("notes")].compactMap { $0 }.joined(separator: "\n")
        self.file = file
    }
}

/// Walks a decoded JSON object, keeping the dotted path and the file so every fault says where it is.
struct ProfileReader {
    let members: [String: Any]
    let path: String
    let file: String

    init(_ value: Any, path: String, file: String) throws(BackendError) {
        guard let members = value as? [String: Any] else {
            throw .invalidProfile(file: file, field: path.isEmpty ? nil : path, reason: "expected an object")
        }
        self.members = members
        self.path = path
        self.file = file
    }

    func fault(_ key: String, _ reason: String) -> BackendError {
        .invalidProfile(file: file, field: field(key), reason: reason)
    }

    func field(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func has(_ key: String) throws(BackendError) -> Bool { members[key] != nil && !(members[key] is NSNull) }

    func isNull(_ key: String) throws(BackendError) -> Bool {
        guard let value = members[key] else { throw fault(key, "is missing") }
        return value is NSNull
    }

    private func value(_ key: String) throws(BackendError) -> Any {
        guard let value = members[key], !(value is NSNull) else { throw fault(key, "is missing") }
        return value
    }

    func string(_ key: String) throws(BackendError) -> String {
        guard let text = try value(key) as? String else { throw fault(key, "expected a string, found \(describe(members[key]))") }
        return text
    }

    func optionalString(_ key: String) throws(BackendError) -> String? { try has(key) ? try string(key) : nil }

    func optionalBool(_ key: String) throws(BackendError) -> Bool? {
        guard try has(key) else { return nil }
        guard isBoolean(members[key]), let flag = members[key] as? Bool else { throw fault(key, "expected true or false, found \(describe(members[key]))") }
        return flag
    }

    func strings(_ key: String) throws(BackendError) -> [String] {
        guard let list = try value(key) as? [Any] else { throw fault(key, "expected an array of strings, found \(describe(members[key]))") }
        var result: [String] = []
        for (index, item) in list.enumerated() {
            guard let text = item as? String else { throw fault("\(key)[\(index)]", "expected a string, found \(describe(item))") }
            result.append(text)
        }
        return result
    }

    func object(_ key: String) throws(BackendError) -> ProfileReader {
        let member = try value(key)
        guard member is [String: Any] else { throw fault(key, "expected an object, found \(describe(member))") }
        return try ProfileReader(member, path: field(key), file: file)
    }

    func objects(_ key: String) throws(BackendError) -> [ProfileReader] {
        guard let list = try value(key) as? [Any] else { throw fault(key, "expected an array of objects, found \(describe(members[key]))") }
        var result: [ProfileReader] = []
        for (index, item) in list.enumerated() {
            guard item is [String: Any] else { throw fault("\(key)[\(index)]", "expected an object, found \(describe(item))") }
            result.append(try ProfileReader(item, path: field("\(key)[\(index)]"), file: file))
        }
        return result
    }

    /// A number, which must be finite and positive.
    func rate(_ key: String) throws(BackendError) -> Double {
        let member = try value(key)
        guard isNumber(member), let number = (member as? NSNumber)?.doubleValue, number.isFinite, number > 0 else {
            throw fault(key, "expected a positive number, found \(describe(member))")
        }
        return number
    }

    func optionalRate(_ key: String) throws(BackendError) -> Double? { try has(key) ? try rate(key) : nil }

    /// A number of seconds, finite and not negative.
    func duration(_ key: String) throws(BackendError) -> Double {
        let member = try value(key)
        guard isNumber(member), let number = (member as? NSNumber)?.doubleValue, number.isFinite, number >= 0 else {
            throw fault(key, "expected a non-negative number of seconds, found \(describe(member))")
        }
        return number
    }

    /// A positive whole number that fits in `Int`.
    func size(_ key: String) throws(BackendError) -> Int {
        let number = try rate(key)
        guard number == number.rounded(), number < 0x1p62 else { throw fault(key, "expected a positive whole number, found \(number)") }
        return Int(number)
    }

    func precision(_ key: String) throws(BackendError) -> MatrixPrecision {
        let text = try string(key)
        guard let precision = MatrixPrecision(rawValue: text) else {
            throw fault(key, "must be one of \(MatrixPrecision.allCases.map(\.rawValue).joined(separator: ", ")), found '\(text)'")
        }
        return precision
    }

    /// Whether `value` is a JSON number: Foundation decodes `true` and `false` as `NSNumber`
    /// subclasses too, told apart only by their class.
    private func isNumber(_ value: Any?) -> Bool { value is NSNumber && !isBoolean(value) }

    private func isBoolean(_ value: Any?) -> Bool {
        guard let value, value is NSNumber else { return false }
        return String(describing: type(of: value)).contains("Boolean")
    }

    private func describe(_ value: Any?) -> String {
        if isBoolean(value) { return (value as? Bool) == true ? "true" : "false" }
        return switch value {
        case nil, is NSNull: "nothing"
        case let text as String: "the string \"\(text)\""
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case let number as NSNumber: "\(number)"
        default: "\(value.map { "\($0)" } ?? "nothing")"
        }
    }
}
