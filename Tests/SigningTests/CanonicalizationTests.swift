import Foundation
import Signing
import Testing

/// RFC 8785: the canonical form matches the published examples byte for byte.
@Suite struct CanonicalizationTests {
    static func vector(_ path: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Vectors/\(path)", withExtension: nil))
        return Array(try Data(contentsOf: url))
    }

    /// The test data of RFC 8785's authors: sorting (nested, UTF-16, locale-free), unnormalised
    /// Unicode, string escapes and numbers, each input against its expected output.
    @Test(arguments: ["arrays", "french", "structures", "unicode", "values", "weird"])
    func publishedExample(name: String) throws {
        let input = try JSONValue(parsing: Self.vector("rfc8785/input/\(name).json"))
        let expected = try Self.vector("rfc8785/output/\(name).json")
        #expect(input.canonicalText == String(decoding: expected, as: UTF8.self))
        #expect(input.canonicalBytes == expected)
    }

    /// RFC 8785 §3.2.2 and §3.2.4: the sample's canonical bytes, as the RFC lists them in hex.
    @Test func sectionThreeSampleBytes() throws {
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let hex = """
            7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 2c 22 6e
            75 6d 62 65 72 73 22 3a 5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 65 2b 33 30
            2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24
            5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
            """
        let expected = hex.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
        #expect(try JSONValue(parsing: input).canonicalBytes == expected)
    }

    /// RFC 8785 Appendix B: IEEE 754 doubles and their ECMAScript serialisation.
    @Test(arguments: [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ])
    func appendixBNumber(ieee: String, expected: String) throws {
        let value = Double(bitPattern: try #require(UInt64(ieee, radix: 16)))
        #expect(JSONValue.number(value).canonicalText == expected)
        // And the serialisation reads back as the same double.
        #expect(try JSONValue(parsing: expected) == .number(value == 0 ? 0 : value))
    }

    /// Canonically equivalent but different names are two members, sorted by UTF-16 code units
    /// (U+00C5 after "A\u{030A}"); a real duplicate is refused.
    @Test func namesAreScalarsNotNormalisedText() throws {
        let value = try JSONValue(parsing: #"{"\u00c5":1,"A\u030a":2}"#)
        #expect(value.canonicalText == "{\"A\u{030A}\":2,\"\u{00C5}\":1}")
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"{"a":1,"a":2}"#) }
    }

    /// UTF-16 order is not scalar order: U+FB33 (one unit) sorts after U+1F602 (a surrogate pair, 0xD83D…).
    @Test func utf16OrderBeyondTheBasicPlane() throws {
        let value = try JSONValue(parsing: #"{"\ufb33":1,"\ud83d\ude02":2}"#)
        #expect(value.canonicalText == "{\"😂\":2,\"\u{FB33}\":1}")
    }

    /// What I-JSON forbids, and what would make two signers disagree, is refused with the offset.
    @Test(arguments: [
        #"{"a":"\ud800"}"#, "[01]", "[1,]", "{\"a\" 1}", "\"a\u{01}b\"", "[1e400]", "[NaN]", "{} x", "[\"\\x\"]",
    ])
    func refusedInput(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func valuesRoundTripThroughCodable() throws {
        struct Sample: Codable, Equatable {
            var name: String
            var issued: Date
            var count: Int
        }
        let sample = Sample(name: "建筑工程施工许可证", issued: Date(timeIntervalSince1970: 1_795_000_000), count: 4)
        let value = try JSONValue(encoding: sample)
        #expect(value.canonicalText == #"{"count":4,"issued":"2026-11-18T11:06:40Z","name":"建筑工程施工许可证"}"#)
        #expect(try value.decode(Sample.self) == sample)
    }
}
