/// 统一社会信用代码 (GB 32100-2015): registration authority (1), organisation type (1), the
/// administrative division (6), the organisation's body (9), and a check character, all from a
/// 31-character set without I, O, Z, S and V.
public struct UnifiedSocialCreditCode: Sendable, Hashable, CheckedString {
    public let value: String

    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    public init(_ text: String) throws(IdentityNumberError) {
        let characters = Array(text.uppercased())
        guard characters.count == 18 else { throw .wrongLength(expected: 18, found: characters.count) }
        var values: [Int] = []
        for (index, character) in characters.enumerated() {
            guard let value = Self.alphabet.firstIndex(of: character) else { throw .invalidCharacter(position: index + 1, character) }
            values.append(value)
        }
        let region = String(characters[2..<8])
        // Codes of national authorities carry 100000.
        guard region == "100000" || DivisionCode.isPlausible(region) else { throw .unknownRegion(region) }
        let expected = Self.alphabet[Self.checkValue(values[0..<17])]
        guard characters[17] == expected else { throw .wrongCheckCharacter(expected: expected, found: characters[17]) }
        value = String(characters)
    }

    static func checkValue(_ values: ArraySlice<Int>) -> Int {
        let sum = zip(values, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return (31 - sum % 31) % 31
    }

    /// The division where the organisation is registered.
    public var region: String { String(value.dropFirst(2).prefix(6)) }

    public var description: String { value }

}
