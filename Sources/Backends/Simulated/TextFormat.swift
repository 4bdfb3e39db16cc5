import Foundation

/// Human-readable figures for tile programs and device details.
enum TextFormat {
    /// `value` with `digits` decimals.
    static func number(_ value: Double, digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// `512 B`, `64.0 KiB`, `1.5 MiB`, `16.0 GiB`.
    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(number(value, digits: 1)) \(units[unit])"
    }

    /// `850 ns`, `12.30 µs`, `4.567 ms`, `1.234 s`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 1e-6 { return "\(number(seconds * 1e9, digits: 0)) ns" }
        if seconds < 1e-3 { return "\(number(seconds * 1e6, digits: 2)) µs" }
        if seconds < 1 { return "\(number(seconds * 1e3, digits: 3)) ms" }
        return "\(number(seconds, digits: 3)) s"
    }

    /// `197.0 TFLOP/s`, `3.1 TFLOP/s`, `850.0 GFLOP/s`.
    static func rate(_ flops: Double) -> String {
        flops >= 1e12 ? "\(number(flops / 1e12, digits: 1)) TFLOP/s" : "\(number(flops / 1e9, digits: 1)) GFLOP/s"
    }

    /// `12.5%`.
    static func percent(_ fraction: Double) -> String { "\(number(fraction * 100, digits: 1))%" }
}
