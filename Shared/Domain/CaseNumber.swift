public import Foundation

/// A case number (办件编号) as the applicant sees it on the receipt: the division that accepted it,
/// the acceptance date in Beijing time, and a daily sequence — `130100-20261123-000042`. It says
/// where and when at a glance, and it is the Kafka key that keeps a case's events in order.
public struct CaseNumber: Sendable, Hashable, CheckedString, Comparable {
    public let region: DivisionCode
    /// YYYYMMDD in Asia/Shanghai.
    public let day: String
    public let sequence: Int

    public static let maximumSequence = 999_999

    public init(region: DivisionCode, acceptedAt: Date, sequence: Int) {
        precondition((1...Self.maximumSequence).contains(sequence), "a case sequence runs from 1 to 999999 per region and day")
        self.region = region
        self.day = Self.dayFormat.format(acceptedAt).replacingOccurrences(of: "-", with: "")
        self.sequence = sequence
    }

    public init(_ text: String) throws(CaseNumberError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 8, parts[2].count == 6,
              parts[1].allSatisfy(\.isASCIIDigit), parts[2].allSatisfy(\.isASCIIDigit),
              let sequence = Int(parts[2]), sequence >= 1
        else { throw .malformed(text) }
        guard let region = try? DivisionCode(String(parts[0])) else { throw .malformed(text) }
        guard ResidentIdentityNumber.date(fromYYYYMMDD: String(parts[1])) != nil else { throw .malformed(text) }
        self.region = region
        day = String(parts[1])
        self.sequence = sequence
    }

    public var description: String {
        let digits = String(sequence)
        return "\(region.value)-\(day)-\(String(repeating: "0", count: 6 - digits.count))\(digits)"
    }

    public static func < (lhs: CaseNumber, rhs: CaseNumber) -> Bool { lhs.description < rhs.description }

    static let dayFormat = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "Asia/Shanghai")!).year().month().day()

}

public enum CaseNumberError: Error, Equatable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let text): "'\(text)' is not a case number (division-YYYYMMDD-sequence, e.g. 130100-20261123-000042)"
        }
    }
}
