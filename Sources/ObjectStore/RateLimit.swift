/// A bandwidth cap such as `50MB/s`, parsed the way `--max-rate` / `BACKUP_MAX_RATE` take it.
///
/// Units: `B`, decimal `KB` `MB` `GB` (1000ⁿ) and binary `KiB` `MiB` `GiB` (1024ⁿ), case-insensitive,
/// optional `/s`; a plain number is bytes per second. Fractions are allowed (`1.5MB/s`). The value must
/// lie between 1 KB/s and 100 GB/s.
package struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    package let bytesPerSecond: Int64

    package static let minimum: Int64 = 1_000
    package static let maximum: Int64 = 100_000_000_000

    package init(bytesPerSecond: Int64) throws {
        guard bytesPerSecond >= Self.minimum, bytesPerSecond <= Self.maximum else {
            throw S3Error(.configuration, "rate limit \(bytesPerSecond) B/s is out of range: use 1KB/s to 100GB/s")
        }
        self.bytesPerSecond = bytesPerSecond
    }

    /// - Parameter text: e.g. `50MB/s`, `10MiB/s`, `500KB/s`.
    package init(parsing text: String) throws {
        let original = text
        var s = Substring(text.trimmingSpaces())
        func bad(_ why: String) -> S3Error {
            S3Error(.configuration, "invalid rate '\(original)': \(why); use a number and a unit such as 50MB/s, 10MiB/s or 500KB/s")
        }
        if s.lowercased().hasSuffix("/s") { s = s.dropLast(2) } else if s.lowercased().hasSuffix("ps") { s = s.dropLast(2) + "B" }
        let numberEnd = s.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? s.endIndex
        let number = s[..<numberEnd]
        let unit = s[numberEnd...].trimmingPrefix(" ").lowercased()
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, let value = Double(number), value.isFinite else {
            throw bad("no number")
        }
        let multiplier: Double
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kb": multiplier = 1e3
        case "m", "mb": multiplier = 1e6
        case "g", "gb": multiplier = 1e9
        case "kib": multiplier = 1024
        case "mib": multiplier = 1024 * 1024
        case "gib": multiplier = 1024 * 1024 * 1024
        default: throw bad("unknown unit '\(unit)'")
        }
        let bytes = value * multiplier
        guard bytes >= Double(Self.minimum), bytes <= Double(Self.maximum) else {
            throw S3Error(.configuration, "rate '\(original)' is out of range: use 1KB/s to 100GB/s")
        }
        try self.init(bytesPerSecond: Int64(bytes.rounded()))
    }

    package var description: String {
        let b = Double(bytesPerSecond)
        if bytesPerSecond % 1_000_000_000 == 0 { return "\(bytesPerSecond / 1_000_000_000)GB/s" }
        if bytesPerSecond % 1_000_000 == 0 { return "\(bytesPerSecond / 1_000_000)MB/s" }
        if bytesPerSecond % (1024 * 1024) == 0 { return "\(bytesPerSecond / (1024 * 1024))MiB/s" }
        if bytesPerSecond % 1000 == 0 { return "\(bytesPerSecond / 1000)KB/s" }
        if bytesPerSecond % 1024 == 0 { return "\(bytesPerSecond / 1024)KiB/s" }
        return b >= 1e6 ? "\(bytesPerSecond)B/s" : "\(bytesPerSecond)B/s"
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
