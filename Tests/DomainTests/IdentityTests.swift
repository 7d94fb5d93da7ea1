import Domain
import Foundation
import Testing

@Suite("resident identity numbers (GB 11643)")
struct ResidentIdentityNumberTests {
    @Test("published examples are valid, with x or X", arguments: ["11010519491231002X", "11010519491231002x", "440524188001010014"])
    func valid(text: String) throws {
        let number = try ResidentIdentityNumber(text)
        #expect(number.value == text.uppercased())
    }

    @Test("each kind of mistake is named", arguments: [
        ("1101051949123100", IdentityNumberError.wrongLength(expected: 18, found: 16)),
        ("11010519491231002Y", .invalidCharacter(position: 18, "Y")),
        ("1101A519491231002X", .invalidCharacter(position: 5, "A")),
        ("99010519491231002X", .unknownRegion("990105")),
        ("110105194902300026", .invalidBirthDate("19490230")),
        ("110105209912310021", .invalidBirthDate("20991231")),
        ("110105194912310021", .wrongCheckCharacter(expected: "X", found: "1")),
        // Two digits swapped: the check character catches it.
        ("11010519491321002X", .invalidBirthDate("19491321")),
        ("11015019491231002X", .wrongCheckCharacter(expected: "1", found: "X")),
    ])
    func invalid(text: String, error: IdentityNumberError) {
        #expect(throws: error) { try ResidentIdentityNumber(text) }
    }

    @Test("decoding from JSON refuses an invalid number with the reason")
    func decoding() throws {
        #expect(try JSONDecoder().decode([ResidentIdentityNumber].self, from: Data(#"["440524188001010014"]"#.utf8)).first?.issuingRegion == "440524")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ResidentIdentityNumber].self, from: Data(#"["440524188001010015"]"#.utf8)) }
    }
}

@Suite("unified social credit codes (GB 32100)")
struct UnifiedSocialCreditCodeTests {
    @Test("published examples are valid", arguments: ["91350100M000100Y43", "91110000600037341L"])
    func valid(text: String) throws {
        #expect(try UnifiedSocialCreditCode(text).value == text)
    }

    @Test("each kind of mistake is named", arguments: [
        ("91350100M000100Y4", IdentityNumberError.wrongLength(expected: 18, found: 17)),
        ("91350100M000100I43", .invalidCharacter(position: 16, "I")),
        ("91350100M000100Y44", .wrongCheckCharacter(expected: "3", found: "4")),
        ("91990100M000100Y43", .unknownRegion("990100")),
    ])
    func invalid(text: String, error: IdentityNumberError) {
        #expect(throws: error) { try UnifiedSocialCreditCode(text) }
    }
}

@Suite("division codes (GB/T 2260) and case numbers")
struct DivisionAndCaseNumberTests {
    @Test("130100 is in 河北省; malformed codes are refused")
    func divisions() throws {
        let shijiazhuang = try DivisionCode("130100")
        #expect(shijiazhuang.provinceName == "河北省")
        #expect(shijiazhuang.province == (try DivisionCode("130000")))
        #expect(throws: IdentityNumberError.unknownRegion("990100")) { try DivisionCode("990100") }
        #expect(throws: IdentityNumberError.unknownRegion("130011")) { try DivisionCode("130011") }
        #expect(throws: IdentityNumberError.invalidCharacter(position: 3, "x")) { try DivisionCode("13x100") }
    }

    @Test("a case number carries the division and the Beijing date, and reads back")
    func caseNumbers() throws {
        // 2026-11-22 17:30 UTC is already 23 November in Beijing.
        let acceptedAt = Date(timeIntervalSince1970: 1_795_368_600)
        let number = CaseNumber(region: try DivisionCode("130100"), acceptedAt: acceptedAt, sequence: 42)
        #expect(number.description == "130100-20261123-000042")
        #expect(try CaseNumber("130100-20261123-000042") == number)
        #expect(throws: CaseNumberError.malformed("130100-20261323-000042")) { try CaseNumber("130100-20261323-000042") }
        #expect(throws: CaseNumberError.malformed("130100-20261123-42")) { try CaseNumber("130100-20261123-42") }
        #expect(throws: CaseNumberError.malformed("130100-20261123-000000")) { try CaseNumber("130100-20261123-000000") }
    }
}
