public import Foundation

/// A calendar day with no time and no time zone: PostgreSQL's `date`, e.g. a statutory deadline
/// or a day in a working-day calendar.
public struct PostgresDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day `date` falls on in `timeZone`.
    public init(_ date: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.init(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
    var daysSinceUnixEpoch: Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    init(daysSinceUnixEpoch days: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
    }

    /// 00:00 UTC of this day.
    public var midnightUTC: Date {
        Date(timeIntervalSince1970: TimeInterval(daysSinceUnixEpoch) * 86_400)
    }

    public static func < (lhs: PostgresDate, rhs: PostgresDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// ISO 8601, e.g. 2026-11-23.
    public var description: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }
}

/// PostgreSQL's `date` in binary: days since 2000-01-01.
private let postgresEpochDaysSinceUnixEpoch = 10_957

extension PostgresDate: PostgresCodable {
    public static var postgresDataType: PostgresDataType { .date }

    public func encode(into buffer: inout [UInt8]) {
        buffer.appendBigEndian(Int32(daysSinceUnixEpoch - postgresEpochDaysSinceUnixEpoch))
    }

    public static func decode(from cell: PostgresCell) throws(PostgresError) -> PostgresDate {
        let bytes = try cell.requireBytes(for: PostgresDate.self)
        guard cell.dataType == .date, bytes.count == 4 else { throw cell.mismatch(PostgresDate.self) }
        let days = bytes.bigEndian(Int32.self)
        guard days != .max, days != .min else { throw cell.decodingError("infinite dates have no PostgresDate form") }
        return PostgresDate(daysSinceUnixEpoch: Int(days) + postgresEpochDaysSinceUnixEpoch)
    }
}
