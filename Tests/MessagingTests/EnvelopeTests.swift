import Foundation
import Messaging
import Testing

struct SampleCase: Codable, Equatable {
    var caseNumber: String
    var matters: [String]
    var submittedAt: Date
}

@Suite("CloudEvents envelope in the Kafka binary binding")
struct EnvelopeTests {
    static let submitted = SampleCase(caseNumber: "130100-20261123-000042", matters: ["食品经营许可"], submittedAt: Date(timeIntervalSince1970: 1_795_420_800.125))

    @Test("what a producer writes, a consumer reads back exactly")
    func roundTrip() throws {
        let envelope = try Envelope(source: "/tongban/130100/intake", type: "tongban.intake.case-submitted.v1", key: Self.submitted.caseNumber, payload: Self.submitted)
        let read = try Envelope(key: Array(envelope.key.utf8), headers: envelope.headers, value: envelope.data)
        #expect(read.id == envelope.id)
        #expect(read.type == "tongban.intake.case-submitted.v1")
        #expect(read.key == "130100-20261123-000042")
        #expect(abs(read.time.timeIntervalSince(envelope.time)) < 0.001)
        #expect(try read.decode(SampleCase.self) == Self.submitted)
    }

    @Test("the headers are the binding's, as a department's kcat would print them")
    func headers() throws {
        let envelope = Envelope(id: "e-1", source: "/tongban/130100/approval", type: "tongban.approval.bundle-decided.v1", time: Date(timeIntervalSince1970: 0), key: "k", data: Array("{}".utf8))
        let headers = Dictionary(uniqueKeysWithValues: envelope.headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) })
        #expect(headers == [
            "ce_specversion": "1.0", "ce_id": "e-1", "ce_source": "/tongban/130100/approval",
            "ce_type": "tongban.approval.bundle-decided.v1", "ce_time": "1970-01-01T00:00:00.000Z", "content-type": "application/json",
        ])
    }

    @Test("a message that is not a valid envelope says what is wrong", arguments: [
        ("ce_id", nil, EnvelopeError.missingAttribute("ce_id")),
        ("ce_specversion", "0.3", EnvelopeError.invalidAttribute("ce_specversion", "is 0.3, not 1.0")),
        ("content-type", "application/xml", EnvelopeError.invalidAttribute("content-type", "is application/xml, not application/json")),
        ("ce_time", "yesterday", EnvelopeError.invalidAttribute("ce_time", "'yesterday' is not an RFC 3339 time")),
    ] as [(String, String?, EnvelopeError)])
    func invalidHeaders(header: String, value: String?, expected: EnvelopeError) throws {
        let envelope = Envelope(source: "/tongban/130100/intake", type: "t", key: "k", data: Array("{}".utf8))
        var headers = envelope.headers.filter { $0.name != header }
        if let value { headers.append((header, Array(value.utf8))) }
        #expect(throws: expected) { try Envelope(key: Array("k".utf8), headers: headers, value: envelope.data) }
    }

    @Test("no key, or no value, is an error too")
    func missingKeyOrValue() throws {
        let envelope = Envelope(source: "s", type: "t", key: "k", data: Array("{}".utf8))
        #expect(throws: EnvelopeError.missingKey) { try Envelope(key: nil, headers: envelope.headers, value: envelope.data) }
        #expect(throws: EnvelopeError.invalidPayload("the message has no value")) { try Envelope(key: Array("k".utf8), headers: envelope.headers, value: nil) }
    }

    @Test("a payload of the wrong shape names the field")
    func invalidPayload() throws {
        let envelope = Envelope(source: "s", type: "t", key: "k", data: Array(#"{"caseNumber":"130100-1","matters":"食品经营许可","submittedAt":"2026-11-23T08:00:00Z"}"#.utf8))
        #expect(throws: EnvelopeError.invalidPayload("matters has the wrong type")) { try envelope.decode(SampleCase.self) }
        let notJSON = Envelope(source: "s", type: "t", key: "k", data: Array("<case/>".utf8))
        #expect(throws: EnvelopeError.invalidPayload("the payload is not JSON")) { try notJSON.decode(SampleCase.self) }
    }
}
