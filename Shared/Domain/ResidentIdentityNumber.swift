public import Foundation

/// 居民身份证号码 (GB 11643-1999): six digits of the administrative division where it was issued,
/// the birth date as YYYYMMDD, a three-digit sequence (odd for men, even for women), and a check
/// character (ISO 7064 MOD 11-2: 0–9 or X).
public struct ResidentIdentityNumber: Sendable, Hashable, CheckedString {
    public let value: String

    /// Accepts the number with a lowercase x; refuses it with the precise reason otherwise.
    public init(_ text: String) throws(IdentityNumberError) {
        try self.init(text, today: Date())
    }

    /// As `init(_:)`, with the date that a birth date may not be after.
    public init(_ text: String, today: Date) throws(IdentityNumberError) {
        let characters = Array(text.uppercased())
        guard characters.count == 18 else { throw .wrongLength(expected: 18, found: characters.count) }
        for (index, character) in characters.enumerated() {
            let allowed = index == 17 ? (character.isASCIIDigit || character == "X") : character.isASCIIDigit
            guard allowed else { throw .invalidCharacter(position: index + 1, character) }
        }
        let region = String(characters[0..<6])
        guard DivisionCode.isPlausible(region) else { throw .unknownRegion(region) }
        let birth = String(characters[6..<14])
        guard let birthDate = Self.date(fromYYYYMMDD: birth), birthDate <= today, birth >= "18500101" else {
            throw .invalidBirthDate(birth)
        }
        let expected = Self.checkCharacter(for: characters[0..<17].map { $0.wholeNumberValue! })
        guard characters[17] == expected else { throw .wrongCheckCharacter(expected: expected, found: characters[17]) }
        value = String(characters)
    }

    /// ISO 7064 MOD 11-2 over the first 17 digits.
    public static func checkCharacter(for digits: [Int]) -> Character {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return Array("10X98765432")[sum % 11]
    }

    static func date(fromYYYYMMDD text: String) -> Date? {
        guard let year = Int(text.prefix(4)), let month = Int(text.dropFirst(4).prefix(2)), let day = Int(text.suffix(2)) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components),
              calendar.dateComponents([.year, .month, .day], from: date) == components
        else { return nil }
        return date
    }

    /// The division where the number was first issued.
    public var issuingRegion: String { String(value.prefix(6)) }

    public var description: String { value }

}

/// Why an identity number or code was refused, precisely enough for the applicant to correct it.
public enum IdentityNumberError: Error, Equatable, CustomStringConvertible {
    case wrongLength(expected: Int, found: Int)
    case invalidCharacter(position: Int, Character)
    case unknownRegion(String)
    case invalidBirthDate(String)
    case wrongCheckCharacter(expected: Character, found: Character)

    public var description: String {
        switch self {
        case .wrongLength(let expected, let found): "must have \(expected) characters, not \(found)"
        case .invalidCharacter(let position, let character): "character \(position) ('\(character)') is not allowed there"
        case .unknownRegion(let code): "\(code) is not an administrative division code"
        case .invalidBirthDate(let text): "\(text) is not a possible date of birth"
        case .wrongCheckCharacter(let expected, let found): "the check character is \(found) but the other characters give \(expected); a character was probably mistyped"
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
