public import Foundation

/// A calendar day in a region's local time, written `YYYY-MM-DD`.
public struct CalendarDay: Sendable, Hashable, Comparable, CheckedString {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public init(_ text: String) throws(CalendarError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day)
        else { throw .invalidDay(text) }
        let candidate = CalendarDay(year: year, month: month, day: day)
        // 2026-02-30 does not exist: it must survive a round trip through the Gregorian calendar.
        guard candidate.adding(days: 0) == candidate else { throw .invalidDay(text) }
        self = candidate
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Monday is 1, Sunday is 7 (ISO 8601).
    public var weekday: Int {
        let gregorianWeekday = Self.utcCalendar.component(.weekday, from: noonUTC)
        return gregorianWeekday == 1 ? 7 : gregorianWeekday - 1
    }

    public func adding(days: Int) -> CalendarDay {
        let date = Self.utcCalendar.date(byAdding: .day, value: days, to: noonUTC)!
        let parts = Self.utcCalendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDay(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    var noonUTC: Date {
        Self.utcCalendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
    }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

/// Which days a region's offices work: Monday to Friday, except public holidays, plus the
/// weekend days moved to working days (调休). One file per region, `Calendars/<region>.json`,
/// updated when the State Council publishes a year's arrangement.
public struct WorkingCalendar: Sendable {
    public let region: String
    public let timeZone: TimeZone
    let holidays: Set<CalendarDay>
    let workingWeekendDays: Set<CalendarDay>
    /// Years the file covers; outside them only weekends are known, and `isCovered` says so.
    public let years: ClosedRange<Int>
    /// Years whose arrangement was not published yet when the file was written.
    public let provisionalYears: Set<Int>

    public init(region: String, timeZone: TimeZone, holidays: Set<CalendarDay>, workingWeekendDays: Set<CalendarDay>, years: ClosedRange<Int>, provisionalYears: Set<Int> = []) {
        self.region = region
        self.timeZone = timeZone
        self.holidays = holidays
        self.workingWeekendDays = workingWeekendDays
        self.years = years
        self.provisionalYears = provisionalYears
    }

    /// Reads a calendar file (see `Calendars/130100.json`).
    public init(json: Data) throws(CalendarError) {
        struct File: Decodable {
            struct Year: Decodable {
                var provisional: Bool
                var holidays: [CalendarDay]
                var workingWeekendDays: [CalendarDay]
            }

            var format: Int
            var region: String
            var timeZone: String
            var years: [String: Year]
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: json)
        } catch {
            throw .invalidFile("\(error)")
        }
        guard file.format == 1 else { throw .invalidFile("format \(file.format) is not 1") }
        guard let zone = TimeZone(identifier: file.timeZone) else { throw .invalidFile("unknown time zone \(file.timeZone)") }
        let yearNumbers = try file.years.keys.map { (key: String) throws(CalendarError) -> Int in
            guard let year = Int(key) else { throw .invalidFile("'\(key)' is not a year") }
            return year
        }
        guard let first = yearNumbers.min(), let last = yearNumbers.max(), last - first + 1 == yearNumbers.count else {
            throw .invalidFile("the years must follow one another without a gap")
        }
        var holidays: Set<CalendarDay> = []
        var workingWeekendDays: Set<CalendarDay> = []
        for (key, year) in file.years {
            for day in year.holidays + year.workingWeekendDays where String(day.year) != key {
                throw .invalidFile("\(day) is listed under \(key)")
            }
            for day in year.workingWeekendDays where day.weekday < 6 {
                throw .invalidFile("\(day) is listed as a working weekend day but is not a weekend day")
            }
            holidays.formUnion(year.holidays)
            workingWeekendDays.formUnion(year.workingWeekendDays)
        }
        if let both = holidays.intersection(workingWeekendDays).first {
            throw .invalidFile("\(both) is both a holiday and a working day")
        }
        self.init(
            region: file.region,
            timeZone: zone,
            holidays: holidays,
            workingWeekendDays: workingWeekendDays,
            years: first...last,
            provisionalYears: Set(file.years.filter(\.value.provisional).keys.compactMap { Int($0) })
        )
    }

    /// The calendar of `region` from `directory`, or from the calendars that ship with Tongban.
    public static func load(region: String, directory: URL? = nil) throws(CalendarError) -> WorkingCalendar {
        guard let url = directory?.appendingPathComponent("\(region).json")
            ?? Bundle.module.url(forResource: region, withExtension: "json", subdirectory: "Calendars")
        else { throw .noCalendar(region) }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw .noCalendar(region) }
        let calendar = try WorkingCalendar(json: data)
        guard calendar.region == region else { throw .invalidFile("\(url.lastPathComponent) is the calendar of \(calendar.region)") }
        return calendar
    }

    public func isWorkingDay(_ day: CalendarDay) -> Bool {
        if workingWeekendDays.contains(day) { return true }
        if holidays.contains(day) { return false }
        return day.weekday < 6
    }

    /// Whether the calendar knows `day`'s holidays; outside its years only weekends count.
    public func isCovered(_ day: CalendarDay) -> Bool {
        years.contains(day.year)
    }

    /// The local day an instant falls on.
    public func day(of instant: Date) -> CalendarDay {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return CalendarDay(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// The local midnight that starts `day`.
    public func startOfDay(_ day: CalendarDay) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
    }

    /// The `count`-th working day after `day` (`day` itself never counts: limits run from the
    /// day after acceptance). Zero is `day` itself.
    public func workingDay(_ count: Int, after day: CalendarDay) -> CalendarDay {
        precondition(count >= 0, "a limit in working days is never negative")
        var current = day
        var remaining = count
        while remaining > 0 {
            current = current.adding(days: 1)
            if isWorkingDay(current) { remaining -= 1 }
        }
        return current
    }

    /// Working days in the half-open range (`start`, `end`]: after `start`, up to and including `end`.
    public func workingDays(after start: CalendarDay, through end: CalendarDay) -> Int {
        guard start < end else { return 0 }
        var count = 0
        var current = start
        while current < end {
            current = current.adding(days: 1)
            if isWorkingDay(current) { count += 1 }
        }
        return count
    }
}

public enum CalendarError: Error, Equatable, CustomStringConvertible {
    case invalidDay(String)
    case invalidFile(String)
    case noCalendar(String)

    public var description: String {
        switch self {
        case .invalidDay(let text): "'\(text)' is not a day (YYYY-MM-DD)"
        case .invalidFile(let problem): "the calendar file is invalid: \(problem)"
        case .noCalendar(let region): "there is no working-day calendar for region \(region)"
        }
    }
}
