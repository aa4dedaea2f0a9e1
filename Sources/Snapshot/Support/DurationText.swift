import Foundation

/// Parses durations as operators type them: `90` (seconds), `500ms`, `30s`, `5m`, `1h`, `1h30m`.
public enum DurationText {
    /// - Parameter text: a whole number of seconds, or one or more `<number><unit>` parts with units
    ///   `ms`, `s`, `m`, `h`; parts may repeat units in any order (`1h30m`, `90s`).
    /// - Returns: the duration, or `nil` when the text is not a positive duration.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty else { return nil }
        if let seconds = Double(trimmed) {
            guard seconds > 0, seconds.isFinite else { return nil }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        var total: Duration = .zero
        var number = ""
        var unit = ""
        func flush() -> Bool {
            guard let value = Double(number), value >= 0 else { return false }
            let milliseconds: Double
            switch unit {
            case "ms": milliseconds = value
            case "s": milliseconds = value * 1000
            case "m": milliseconds = value * 60_000
            case "h": milliseconds = value * 3_600_000
            default: return false
            }
            total += .milliseconds(Int64(milliseconds.rounded()))
            number = ""
            unit = ""
            return true
        }
        for character in trimmed {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard flush(), total > .zero else { return nil }
        return total
    }

    /// `2.5 s`, `3 min 20 s`, `120 ms`: for messages.
    public static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return format(seconds: seconds)
    }

    /// - Parameter seconds: a non-negative number of seconds.
    public static func format(seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s" }
        return whole % 3600 == 0 ? "\(whole / 3600) h" : "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}

extension Duration {
    /// Seconds as a `Double` (for JSON details and metrics).
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
