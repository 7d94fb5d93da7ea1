import Foundation
import Postgres
import Testing

/// Every type Tongban stores goes into a real column as a bound parameter and comes back equal;
/// where it matters, the server's own view of the value is checked too, so encoding and decoding
/// cannot hide each other's mistakes.
@Suite("values round-trip through PostgreSQL")
struct ValueRoundTripTests {
    struct ApplicationForm: Codable, Equatable, Sendable {
        var applicant: String
        var materials: [String]
        var submittedAt: Date
        var fee: Decimal?
    }

    @Test("one row with every supported column type is stored and read back unchanged")
    func everyType() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let schema = try await TestDatabase.makeSchema(on: client)
        _ = try await client.query("""
            CREATE TABLE \(identifier: schema).everything (
                small int2, medium int4, large int8, plain int8, label text, flag bool, amount numeric,
                ratio float8, at timestamptz, day date, id uuid, blob bytea, form jsonb, missing text
            )
            """)
        let at = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let id = UUID()
        let blob = Data((0...255).map { UInt8($0) })
        let form = ApplicationForm(
            applicant: "张三", materials: ["身份证", "营业执照"],
            submittedAt: Date(timeIntervalSince1970: 1_795_000_000.5), fee: Decimal(string: "12.50")
        )
        let day = PostgresDate(year: 2026, month: 11, day: 23)
        let amount = Decimal(string: "-1234567.890123")!
        _ = try await client.query("""
            INSERT INTO \(identifier: schema).everything
            VALUES (\(Int16.max), \(Int32.min), \(Int64.max), \(42), \("通办 🚀"), \(true), \(amount),
                    \(0.1), \(at), \(day), \(id), \(blob), \(try PostgresJSONB(form)), \(nil as String?))
            """)

        let rows = try await client.query("SELECT * FROM \(identifier: schema).everything")
        let (small, medium, large, plain, label, flag, readAmount, ratio, readAt, readDay, readID, readBlob, readForm, missing) =
            try #require(try rows.decode((Int16, Int32, Int64, Int, String, Bool, Decimal, Double, Date, PostgresDate, UUID, Data, PostgresJSONB<ApplicationForm>, String?).self).first)
        #expect(small == .max)
        #expect(medium == .min)
        #expect(large == .max)
        #expect(plain == 42)
        #expect(label == "通办 🚀")
        #expect(flag)
        #expect(readAmount == amount)
        #expect(ratio == 0.1)
        #expect(abs(readAt.timeIntervalSince(at)) < 0.000_001)
        #expect(readDay == day)
        #expect(readID == id)
        #expect(readBlob == blob)
        #expect(readForm.value == form)
        #expect(missing == nil)

        // The server holds the same values, not just something that decodes back the same.
        let serverView = try await client.query("""
            SELECT amount::text, extract(epoch FROM at)::text, day::text, id::text, length(blob),
                   form->>'applicant', form->'materials'->>1, label
            FROM \(identifier: schema).everything
            """)
        let (amountText, epochText, dayText, idText, blobLength, applicant, secondMaterial, labelText) =
            try #require(try serverView.decode((String, String, String, String, Int32, String, String, String).self).first)
        #expect(amountText == "-1234567.890123")
        #expect(epochText == "1795000000.123456")
        #expect(dayText == "2026-11-23")
        #expect(idText == id.uuidString.lowercased())
        #expect(blobLength == 256)
        #expect(applicant == "张三")
        #expect(secondMaterial == "营业执照")
        #expect(labelText == "通办 🚀")
    }

    @Test("numeric values keep every digit both ways", arguments: [
        "0", "1", "-1", "0.0001", "-0.00000001", "10000", "123456789012345678901234567.89",
        "99999999.9999", "-1234.5", "0.5", "100000000",
    ])
    func numeric(text: String) async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let value = try #require(Decimal(string: text))
        let rows = try await client.query("SELECT \(value), \(value) = \(unescaped: "'\(text)'")::numeric")
        let (decoded, equalOnServer) = try #require(try rows.decode((Decimal, Bool).self).first)
        #expect(decoded == value)
        #expect(equalOnServer)
    }

    @Test("dates keep their calendar day, before and after 2000-01-01", arguments: [
        PostgresDate(year: 2000, month: 1, day: 1), PostgresDate(year: 1999, month: 12, day: 31),
        PostgresDate(year: 2024, month: 2, day: 29), PostgresDate(year: 1970, month: 1, day: 1),
        PostgresDate(year: 1, month: 1, day: 1), PostgresDate(year: 2100, month: 3, day: 1),
    ])
    func date(day: PostgresDate) async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let rows = try await client.query("SELECT \(day), \(day)::text, \(day)::timestamp AT TIME ZONE 'UTC'")
        let (decoded, text, midnight) = try #require(try rows.decode((PostgresDate, String, Date).self).first)
        #expect(decoded == day)
        #expect(text == day.description)
        #expect(midnight == day.midnightUTC)
    }

    @Test("integers at their limits, and a value too large for the Swift type is an error, not a wrap")
    func integers() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let rows = try await client.query("SELECT \(Int.min), \(Int.max), \(Int32.max)::int8")
        let (minimum, maximum, widened) = try #require(try rows.decode((Int, Int, Int32).self).first)
        #expect(minimum == .min)
        #expect(maximum == .max)
        #expect(widened == .max)

        let tooLarge = try await client.query("SELECT \(Int64(Int32.max) + 1)")
        let error = try #require(throws: PostgresError.self) { try tooLarge.decode(Int32.self) }
        #expect(error.code == .decodingFailed)
    }

    @Test("NULL decodes as nil, and into a non-optional type as a decoding error naming the column")
    func null() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let rows = try await client.query("SELECT NULL::text AS note")
        #expect(try rows.decode(String?.self) == [nil])
        let error = try #require(throws: PostgresError.self) { try rows.decode(String.self) }
        #expect(error.code == .decodingFailed)
        #expect(error.columnName == "note")
    }

    @Test("a column of another type is refused, not misread")
    func typeMismatch() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let rows = try await client.query("SELECT 42::int4")
        let error = try #require(throws: PostgresError.self) { try rows.decode(String.self) }
        #expect(error.code == .decodingFailed)
    }

    struct CaseRow: Decodable, Equatable {
        var caseNumber: String
        var acceptedAt: Date
        var materials: [String]
        var note: String?
        var state: CaseState
    }

    enum CaseState: String, Decodable, PostgresCodable {
        case accepted, refused
    }

    @Test("rows decode into Decodable records by column name, with nested JSON and enums")
    func records() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let accepted = Date(timeIntervalSince1970: 1_795_000_000)
        let rows = try await client.query("""
            SELECT * FROM (VALUES
                (\("440300-20261123-0001"), \(accepted), '["身份证"]'::jsonb, NULL::text, \(CaseState.accepted)),
                (\("440300-20261123-0002"), \(accepted), '[]'::jsonb, \("补正"), \(CaseState.refused))
            ) AS cases (case_number, accepted_at, materials, note, state)
            ORDER BY case_number
            """)
        let cases = try rows.decodeRecords(CaseRow.self, keys: .convertFromSnakeCase)
        #expect(cases == [
            CaseRow(caseNumber: "440300-20261123-0001", acceptedAt: accepted, materials: ["身份证"], note: nil, state: .accepted),
            CaseRow(caseNumber: "440300-20261123-0002", acceptedAt: accepted, materials: [], note: "补正", state: .refused),
        ])
    }

    @Test("an array binds as one parameter: text with quotes, commas and backslashes, integers, UUIDs, and the empty array")
    func arrays() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let labels = [#"a "quoted", name"#, #"back\slash"#, "{braces}", "通办", ""]
        #expect(try await client.query("SELECT unnest(\(labels))").decode(String.self) == labels)
        #expect(try await client.query("SELECT array_length(\(labels), 1), pg_typeof(\(labels))::text").decode((Int, String).self).first! == (5, "text[]"))
        let ids = [UUID(), UUID()]
        #expect(try await client.query("SELECT unnest(\(ids))").decode(UUID.self) == ids)
        #expect(try await client.query("SELECT sum(x) FROM unnest(\([Int.max / 2, 1, -3])) AS x").decode(Decimal.self) == [Decimal(Int.max / 2 - 2)])
        #expect(try await client.query("SELECT \(Int16(7)) = ANY(\([Int16(1), 7]))").decode(Bool.self) == [true])
        let none: [String] = []
        #expect(try await client.query("SELECT coalesce(cardinality(\(none)), -1), 'x' = ANY(\(none))").decode((Int, Bool).self).first! == (0, false))
    }
}
