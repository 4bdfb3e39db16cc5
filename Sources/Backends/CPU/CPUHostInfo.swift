import Foundation

/// Facts about the host's processors that every CPU device shares: model, SIMD features, caches,
/// clock, read from `/proc/cpuinfo` and `/sys`.
///
/// Parsing is separate from reading so that tests can feed it text from other machines.
struct CPUHostInfo: Hashable, Sendable {
    /// One cache level, as `/sys/devices/system/cpu/cpu0/cache/index*` describes it.
    struct Cache: Hashable, Sendable {
        /// 1, 2, 3.
        var level: Int
        /// `Data`, `Instruction` or `Unified`.
        var type: String
        /// Bytes per instance.
        var byteCount: Int

        /// `L1d`, `L1i`, `L2`, `L3`.
        var name: String {
            switch type {
            case "Data": "L\(level)d"
            case "Instruction": "L\(level)i"
            default: "L\(level)"
            }
        }
    }

    /// The CPU model, e.g. `AMD EPYC 9454`.
    var model: String
    /// The SIMD features this backend cares about, in a fixed order: `neon`, `avx2`, `fma`, `avx512f`.
    var simdFeatures: [String]
    /// Caches of one core's view, innermost first.
    var caches: [Cache]
    /// The clock in MHz: the maximum from cpufreq where present, else `cpu MHz` from `/proc/cpuinfo`.
    var clockMHz: Double?
    /// `vendor_id`, e.g. `AuthenticAMD`.
    var vendor = ""
    /// `cpu family`, e.g. 25 for AMD Zen 3 and Zen 4.
    var family: Int?

    /// f32 lanes of the widest vector unit the features name.
    var simdLanes: Int {
        if simdFeatures.contains("avx512f") { return 16 }
        if simdFeatures.contains("avx2") { return 8 }
        return 4
    }

    /// Fused multiply-add pipes assumed per core: two on the x86 and Arm server cores this targets.
    var fmaUnits: Int { simdFeatures.contains("fma") || simdFeatures.contains("neon") ? 2 : 1 }

    /// f32 lanes one FMA pipe retires per cycle: the vector width, except that AMD through Zen 4
    /// (family 25) executes 512-bit FMAs as two 256-bit halves.
    var fmaLanes: Int {
        vendor == "AuthenticAMD" && (family ?? 0) <= 25 ? Swift.min(simdLanes, 8) : simdLanes
    }

    /// Peak f32 GFLOP/s for `cores` cores: cores × FMA units × lanes × 2 × clock, or `nil` without a clock.
    func peakGFLOPS(cores: Int) -> Double? {
        clockMHz.map { Double(cores * fmaUnits * fmaLanes * 2) * $0 / 1000 }
    }

    /// The estimate's formula, for ``DeviceInfo/details``.
    func peakFormula(cores: Int) -> String? {
        clockMHz.map { "estimate: \(cores) cores x \(fmaUnits) FMA units x \(fmaLanes) f32 lanes x 2 x " + String(format: "%.2f GHz", $0 / 1000) }
    }

    /// Reads the running host; missing files give empty or `nil` fields and a warning, never an error.
    static func read() -> (info: CPUHostInfo, warnings: [String]) {
        var warnings: [String] = []
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if cpuinfo.isEmpty { warnings.append("cpu: /proc/cpuinfo is unreadable; CPU model and SIMD features unknown") }
        var info = parse(cpuinfo: cpuinfo)
        info.caches = readCaches()
        if let maximumKHz = readNumber("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq") {
            info.clockMHz = maximumKHz / 1000
        }
        if info.clockMHz == nil { warnings.append("cpu: no clock frequency found; peak GFLOP/s not estimated") }
        return (info, warnings)
    }

    /// The model, features and clock from `/proc/cpuinfo` text (x86 or Arm).
    static func parse(cpuinfo text: String) -> CPUHostInfo {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        let model = fields["model name"] ?? fields["Hardware"] ?? fields["Processor"] ?? fields["CPU part"].map { "Arm part \($0)" } ?? "unknown CPU"
        let flags = Set((fields["flags"] ?? fields["Features"] ?? "").split(separator: " ").map(String.init))
        var features: [String] = []
        if flags.contains("asimd") || flags.contains("neon") { features.append("neon") }
        for feature in ["avx2", "fma", "avx512f"] where flags.contains(feature) { features.append(feature) }
        let clock = fields["cpu MHz"].flatMap(Double.init)
        return CPUHostInfo(model: model, simdFeatures: features, caches: [], clockMHz: clock,
                           vendor: fields["vendor_id"] ?? "", family: fields["cpu family"].flatMap { Int($0) })
    }

    /// Parses a `/sys` cache size such as `32K`, `1024K` or `32M`.
    static func parse(cacheSize text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let scale = switch trimmed.last {
        case "K": 1 << 10
        case "M": 1 << 20
        case "G": 1 << 30
        default: 1
        }
        let digits = scale == 1 ? trimmed : String(trimmed.dropLast())
        return Int(digits).map { $0 * scale }
    }

    private static func readCaches() -> [Cache] {
        let directory = "/sys/devices/system/cpu/cpu0/cache"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter { $0.hasPrefix("index") }.sorted().compactMap { entry in
            let path = directory + "/" + entry
            guard let level = readNumber(path + "/level"),
                  let type = try? String(contentsOfFile: path + "/type", encoding: .utf8),
                  let sizeText = try? String(contentsOfFile: path + "/size", encoding: .utf8),
                  let size = parse(cacheSize: sizeText) else { return nil }
            return Cache(level: Int(level), type: type.trimmingCharacters(in: .whitespacesAndNewlines), byteCount: size)
        }
    }

    private static func readNumber(_ path: String) -> Double? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
