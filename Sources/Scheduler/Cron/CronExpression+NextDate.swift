import Foundation

// The search works in "wall seconds": seconds since 1970-01-01T00:00 of the zone's wall clock, i.e.
// instant + UTC offset. Between two offset transitions the zone is a fixed shift, so the search walks
// those segments, finds the first matching wall time in each by fields (month -> day -> hour -> minute,
// never minute by minute), and applies the DST policy at the segment boundaries.

extension CronExpression {
    /// How far ahead ``next(after:in:)`` looks before giving up. Long enough for every satisfiable
    /// expression (Feb 29 on a given weekday can be decades away across 2100); unsatisfiable ones
    /// such as `0 0 30 2 *` are recognised up front and never searched.
    static let searchHorizon: Int64 = 60 * 366 * 86_400

    /// The first time strictly after `date` at which the expression fires.
    /// - Parameters:
    ///   - date: the instant to search from; a fire time equal to it is not returned.
    ///   - timeZone: the zone whose wall clock the fields describe. See the type's DST policy.
    /// - Returns: `nil` if the expression can never fire (`0 0 30 2 *`).
    package func next(after date: Date, in timeZone: TimeZone) -> Date? {
        guard isSatisfiable else { return nil }
        let after = Int64(date.timeIntervalSince1970.rounded(.down))
        let limit = after + Self.searchHorizon
        var segment = Segment(containing: after, in: timeZone)
        // First candidate wall minute: the next whole minute strictly after `date`.
        var lowerBound = after + 1

        while segment.start <= limit {
            var wallFrom = ceilToMinute(lowerBound + segment.offset)
            if !firesInElapsedTime, let previous = segment.previousOffset, previous > segment.offset {
                // Fall back: wall times before start + previous offset already happened once.
                wallFrom = max(wallFrom, ceilToMinute(segment.start + previous))
            }
            let wallEnd = (segment.end ?? limit) + segment.offset
            if let wall = firstMatch(fromWall: wallFrom, beforeWall: wallEnd) {
                return Date(timeIntervalSince1970: TimeInterval(wall - segment.offset))
            }
            guard let end = segment.end else { return nil }
            let next = Segment(startingAt: end, after: segment, in: timeZone)
            if next.offset > segment.offset,
               firstMatch(fromWall: end + segment.offset, beforeWall: end + next.offset) != nil {
                // Spring forward: every slot in the skipped wall interval runs once, at the jump.
                return Date(timeIntervalSince1970: TimeInterval(end))
            }
            segment = next
            lowerBound = end
        }
        return nil
    }

    /// The next `count` fire times after `date`, in order; fewer if the expression stops firing.
    /// - Parameters:
    ///   - date: the instant to search from (exclusive).
    ///   - count: how many fire times to return.
    ///   - timeZone: the zone whose wall clock the fields describe.
    package func nextDates(after date: Date, count: Int, in timeZone: TimeZone) -> [Date] {
        var dates: [Date] = []
        dates.reserveCapacity(max(count, 0))
        var from = date
        while dates.count < count, let next = next(after: from, in: timeZone) {
            dates.append(next)
            from = next
        }
        return dates
    }

    /// False when no month in the month field has any day of the day-of-month field and the two day
    /// fields are combined with AND (`0 0 30 2 *`, `0 0 31 4,6 *`). With OR every weekday occurs in
    /// every month, and a (month, day) pair recurs on every weekday over the years.
    package var canFire: Bool { isSatisfiable }

    var isSatisfiable: Bool {
        guard dayOfMonthIsStar || dayOfWeekIsStar else { return true }
        let longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains { month in
            months & (1 << UInt64(month)) != 0
                && daysOfMonth & ((UInt64(1) << UInt64(longest[month] + 1)) - 1) != 0
        }
    }

    /// The smallest wall time in `[from, before)` whose fields match, searching day by day but
    /// skipping months that do not match.
    private func firstMatch(fromWall from: Int64, beforeWall before: Int64) -> Int64? {
        var day = floorDiv(from, 86_400)
        var minuteOfDay = Int((from - day * 86_400) / 60)  // `from` is minute-aligned
        while day * 86_400 < before {
            let (year, month, dayOfMonth) = civil(fromDays: day)
            if months & (1 << UInt64(month)) == 0 {
                day = month == 12 ? days(year: year + 1, month: 1, day: 1) : days(year: year, month: month + 1, day: 1)
                minuteOfDay = 0
                continue
            }
            if dayMatches(dayOfMonth: dayOfMonth, dayOfWeek: Int(floorMod(day + 4, 7))),  // 1970-01-01 was a Thursday
               let time = firstTime(atOrAfter: minuteOfDay) {
                let wall = day * 86_400 + Int64(time) * 60
                return wall < before ? wall : nil
            }
            day += 1
            minuteOfDay = 0
        }
        return nil
    }

    func dayMatches(dayOfMonth: Int, dayOfWeek: Int) -> Bool {
        let domMatches = daysOfMonth & (1 << UInt64(dayOfMonth)) != 0
        let dowMatches = daysOfWeek & (1 << UInt64(dayOfWeek)) != 0
        return dayOfMonthIsStar || dayOfWeekIsStar ? domMatches && dowMatches : domMatches || dowMatches
    }

    /// The first matching minute of the day (0..<1440) at or after `minuteOfDay`.
    private func firstTime(atOrAfter minuteOfDay: Int) -> Int? {
        var hour = minuteOfDay / 60
        var minute = minuteOfDay % 60
        while let h = lowestBit(of: hours, atOrAbove: hour) {
            if h > hour { minute = 0 }
            if let m = lowestBit(of: minutes, atOrAbove: minute) { return h * 60 + m }
            hour = h + 1
            minute = 0
        }
        return nil
    }
}

/// A stretch of time with one UTC offset, bounded by the zone's transitions.
private struct Segment {
    /// First instant (Unix seconds) with this offset; `Int64.min` if unknown and irrelevant.
    var start: Int64
    /// The offset before `start`, when `start` is a transition.
    var previousOffset: Int64?
    var offset: Int64
    /// The next transition, `nil` if the zone has none ahead.
    var end: Int64?

    init(containing instant: Int64, in timeZone: TimeZone) {
        offset = Int64(timeZone.secondsFromGMT(for: date(instant)))
        end = timeZone.nextDaylightSavingTimeTransition(after: date(instant)).map(seconds)
        // Foundation has no "previous transition"; a repeated hour that contains `instant` began at
        // most a few hours ago, so look for a transition in the last two days.
        start = Int64.min
        var probe = date(instant - 2 * 86_400)
        while let transition = timeZone.nextDaylightSavingTimeTransition(after: probe),
              seconds(transition) <= instant {
            start = seconds(transition)
            previousOffset = Int64(timeZone.secondsFromGMT(for: date(start - 1)))
            probe = transition
        }
    }

    init(startingAt start: Int64, after previous: Segment, in timeZone: TimeZone) {
        self.start = start
        previousOffset = previous.offset
        offset = Int64(timeZone.secondsFromGMT(for: date(start)))
        end = timeZone.nextDaylightSavingTimeTransition(after: date(start)).map(seconds)
    }
}

private func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
private func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
private func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }
private func ceilToMinute(_ wall: Int64) -> Int64 { -floorDiv(-wall, 60) * 60 }

private func lowestBit(of bits: UInt64, atOrAbove index: Int) -> Int? {
    guard index < 64 else { return nil }
    let masked = bits & (~UInt64(0) << UInt64(index))
    return masked == 0 ? nil : masked.trailingZeroBitCount
}

// Proleptic Gregorian day numbers (days since 1970-01-01), after Howard Hinnant's
// `days_from_civil`/`civil_from_days`: exact for any date, no Calendar in the hot loop.
private func days(year: Int, month: Int, day: Int) -> Int64 {
    let y = Int64(month <= 2 ? year - 1 : year)
    let era = floorDiv(y, 400)
    let yearOfEra = y - era * 400
    let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
    let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}

private func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = floorDiv(z, 146_097)
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shiftedMonth = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
    let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    return (Int(year), Int(month), Int(day))
}
