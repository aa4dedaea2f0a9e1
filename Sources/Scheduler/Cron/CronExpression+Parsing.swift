// Field parsing, following cronie's `get_list`/`get_range`/`get_number` (src/entry.c) where it is
// well defined, and rejecting what cronie silently accepts or warns about where that would hide a typo.

extension CronExpression {
    /// The `@` macros and the five-field text cronie gives them (same bits and `*` flags).
    static let macros: [(name: String, fields: String)] = [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ]

    init(macro: String) throws(CronError) {
        // cronie compares macro names with strcmp: `@Daily` is not a macro there either.
        if macro == "@reboot" {
            throw CronError(
                .unsupported,
                "@reboot is not supported: this scheduler fires at times of day, not at start-up")
        }
        guard let expansion = Self.macros.first(where: { $0.name == macro })?.fields else {
            let known = Self.macros.map(\.name).joined(separator: ", ")
            throw CronError(.invalidField, "unknown macro '\(macro)' (known: \(known))")
        }
        try self.init(fields: expansion.split(separator: " ").map(String.init), source: macro)
    }

    init(fields: [String], source: String) throws(CronError) {
        func parse(_ field: Field) throws(CronError) -> UInt64 {
            let text = fields[field.rawValue - 1]
            do {
                return try Self.parseList(text, field)
            } catch {
                throw CronError(error.code, error.reason, field: field)
            }
        }
        self.minutes = try parse(.minute)
        self.hours = try parse(.hour)
        self.daysOfMonth = try parse(.dayOfMonth)
        self.months = try parse(.month)
        var daysOfWeek = try parse(.dayOfWeek)
        if daysOfWeek & 0b1000_0001 != 0 { daysOfWeek |= 0b1000_0001 }  // 0 and 7 are both Sunday
        self.daysOfWeek = daysOfWeek
        self.minuteIsStar = fields[0].hasPrefix("*")
        self.hourIsStar = fields[1].hasPrefix("*")
        self.dayOfMonthIsStar = fields[2].hasPrefix("*")
        self.dayOfWeekIsStar = fields[4].hasPrefix("*")
        self.source = source
    }

    private static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// `list = range {"," range}`; returns the bit set. Errors carry no field yet.
    private static func parseList(_ text: String, _ field: Field) throws(CronError) -> UInt64 {
        var bits: UInt64 = 0
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !element.isEmpty else {
                throw CronError(.invalidField, "empty element in list '\(text)'")
            }
            bits |= try parseRange(element, field)
        }
        return bits
    }

    /// `range = "*" ["/" step] | value | value "-" value ["/" step]`.
    private static func parseRange(_ text: Substring, _ field: Field) throws(CronError) -> UInt64 {
        if text.contains("~") {
            throw CronError(.unsupported, "random ranges with '~' are not supported: '\(text)'")
        }
        let slashParts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard slashParts.count <= 2 else {
            throw CronError(.invalidField, "'\(text)' has more than one '/'")
        }
        let rangeText = slashParts[0]
        var step = 1
        if slashParts.count == 2 {
            let stepText = slashParts[1]
            guard let value = decimal(stepText) else {
                throw CronError(.invalidField, "step '\(stepText)' in '\(text)' is not a number")
            }
            guard value > 0 else {
                throw CronError(.invalidField, "step 0 in '\(text)' must be at least 1")
            }
            step = value
        }

        let low: Int
        var high: Int
        if rangeText == "*" {
            (low, high) = (field.range.lowerBound, field.range.upperBound)
        } else {
            let dashParts = rangeText.split(separator: "-", omittingEmptySubsequences: false)
            switch dashParts.count {
            case 1:
                low = try value(rangeText, field)
                high = low
                if slashParts.count == 2 {
                    // cronie and Vixie cron reject "10/15" ("bad minute"); say what was probably meant.
                    throw CronError(
                        .invalidField,
                        "a step needs a range or '*': write '\(rangeText)-\(field.range.upperBound)/\(step)' or '*/\(step)', not '\(text)'")
                }
            case 2:
                low = try value(dashParts[0], field)
                high = try value(dashParts[1], field)
            default:
                throw CronError(.invalidField, "'\(rangeText)' is not a value or a range")
            }
            if field == .dayOfWeek && high == 0 && low > high {
                high = 7  // cronie: `fri-sun` is 5-0, read as 5-7
            }
            guard low <= high else {
                throw CronError(.invalidField, "range \(rangeText) is backwards (\(low) > \(high))")
            }
        }

        var bits: UInt64 = 0
        for value in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(value) }
        return bits
    }

    /// A number in the field's range, or (month, day of week) a three-letter name.
    private static func value(_ text: Substring, _ field: Field) throws(CronError) -> Int {
        guard !text.isEmpty else {
            throw CronError(.invalidField, "missing value in range")
        }
        if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let number = decimal(text), field.range.contains(number) else {
                throw CronError(
                    .invalidField,
                    "\(text) is out of range \(field.range.lowerBound)-\(field.range.upperBound)")
            }
            return number
        }
        let names: [String]
        switch field {
        case .month: names = monthNames
        case .dayOfWeek: names = dayNames
        default:
            throw CronError(.invalidField, "'\(text)' is not a number")
        }
        if let index = names.firstIndex(of: text.lowercased()) {
            return field == .month ? index + 1 : index
        }
        throw CronError(
            .invalidField,
            "unknown name '\(text)' (use \(names.first!)-\(names.last!) or \(field.range.lowerBound)-\(field.range.upperBound))")
    }

    /// ASCII digits only (no sign, no spaces), at most 6 of them, so there is no overflow to handle.
    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 6, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return nil
        }
        return Int(text)
    }
}
