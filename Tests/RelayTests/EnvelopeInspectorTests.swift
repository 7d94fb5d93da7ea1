import Crypto
import Foundation
import Messaging
@testable import Relay
import ServiceKit
import Signing
import Testing

/// The checks every inbox message passes before anything acts on it, without Kafka or a database:
/// each failure is refused with its own reason, and a good envelope passes with its content intact.
@Suite("relay: envelope checks")
struct EnvelopeInspectorTests {
    static let jinan = RelaySigningKey(keyID: "370100-relay-1", privateKey: .init())
    static let forger = RelaySigningKey(keyID: "370100-relay-1", privateKey: .init())
    static let now = Date()
    static let partners = PartnerRegistry([
        Partner(region: "370100", name: "济南市", keys: [jinan.keyID: jinan.privateKey.publicKey], inbox: .init(bootstrapServers: "127.0.0.1:1", topic: "tongban.relay.inbox.v1", settings: [:])),
    ])
    static let inspector = EnvelopeInspector(homeRegion: "130100", partners: partners, clockSkew: .seconds(300), maximumBytes: 16 * 1024)

    /// Jinan hands Shijiazhuang its case's matter of 130100.
    static func handedOver(_ caseNumber: String = "370100-20261123-000001", matters: [CaseSubmitted.Matter]? = nil, origin: CaseSubmitted.OriginCase? = nil) -> CaseSubmitted {
        var submitted = Samples.submitted(caseNumber, region: "370100", matters: matters ?? [Samples.matter("130100-SC-001", region: "130100")])
        submitted.handedOverFrom = origin ?? .init(region: "370100", caseNumber: caseNumber)
        return submitted
    }

    static func envelope(sender: String = "370100", receiver: String = "130100", kind: RelayEnvelopeKind = .caseHandedOver, sequence: Int = 1, payload: some Encodable = handedOver(), issuedAt: Date = now, key: RelaySigningKey = jinan) throws -> [UInt8] {
        try TwoRegions.envelope(from: sender, to: receiver, kind: kind, caseReference: "370100-20261123-000001", sequence: sequence, payload: payload, issuedAt: issuedAt, key: key)
    }

    func reason(_ value: [UInt8]) -> QuarantineReason.Code? {
        if case .failure(let reason) = Self.inspector.inspect(value, now: Self.now) { reason.code } else { nil }
    }

    @Test("a partner's well-formed, signed, fresh envelope passes with its payload intact")
    func passes() throws {
        let checked = try Self.inspector.inspect(try Self.envelope(), now: Self.now).get()
        #expect(checked.partner.region == "370100")
        #expect(checked.envelope.kind == .caseHandedOver)
        #expect(checked.envelope.sequence == 1)
        #expect(try Envelope.decode(CaseSubmitted.self, from: checked.payloadBytes) == Self.handedOver())
    }

    @Test("each failing check has its reason")
    func reasons() throws {
        #expect(reason(try Self.envelope(key: Self.forger)) == .badSignature)
        #expect(reason(try Self.envelope(key: RelaySigningKey(keyID: "370100-relay-9", privateKey: .init()))) == .badSignature)
        #expect(reason(try Self.envelope(sender: "440300")) == .unknownSender)
        #expect(reason(try Self.envelope(receiver: "310100")) == .wrongReceiver)
        #expect(reason(try Self.envelope(issuedAt: Self.now.addingTimeInterval(-301))) == .stale)
        #expect(reason(try Self.envelope(issuedAt: Self.now.addingTimeInterval(301))) == .stale)
        #expect(reason(try Self.envelope(issuedAt: Self.now.addingTimeInterval(-299))) == nil)
        #expect(reason(Array("not json".utf8)) == .malformed)
        #expect(reason(Array(#"{"receiver":"130100"}"#.utf8)) == .malformed)
        #expect(reason(Array(repeating: UInt8(ascii: " "), count: 16 * 1024 + 1)) == .oversized)
    }

    @Test("a signed envelope whose content breaks the schema, or does not fit its case, is schema-invalid")
    func schemaInvalid() throws {
        struct Bare: Encodable { var caseNumber = "370100-20261123-000001" }
        #expect(reason(try Self.envelope(payload: Bare())) == .schemaInvalid)
        // Someone else's matters, or another case than the envelope's.
        #expect(reason(try Self.envelope(payload: Self.handedOver(matters: [Samples.matter("310100-X-1", region: "310100")]))) == .schemaInvalid)
        #expect(reason(try Self.envelope(payload: Self.handedOver(origin: .init(region: "370100", caseNumber: "370100-20261123-000002")))) == .schemaInvalid)
        #expect(reason(try Self.envelope(kind: .receipt, sequence: 1, payload: RelayReceipt(acknowledgedID: "x", acknowledgedKind: .status, acknowledgedSequence: 1, receivedAt: Self.now))) == .schemaInvalid)
    }

    @Test("the signature covers the envelope: a member changed after signing fails, however the JSON is laid out")
    func tampering() throws {
        let signed = try Self.envelope()
        var object = try #require(try JSONValue(parsing: signed).objectValue)
        // Re-laid out (members reordered, pretty-printed): still the same value, still valid.
        let pretty = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(signed)), options: [.prettyPrinted])
        #expect(reason(Array(pretty)) == nil)
        object["receiver"] = "130100"
        object["sequence"] = 2
        #expect(reason(object.canonicalBytes) == .badSignature)
    }
}

/// TONGBAN_RELAY_PARTNERS_FILE and TONGBAN_RELAY_SIGNING_KEY_FILE: what a good file gives, and a bad
/// one refused naming the variable and the place in the file.
@Suite("relay: configuration")
struct RelaySettingsTests {
    let folder: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-configuration-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }()
    static let key = RelaySigningKey(keyID: "130100-relay-1", privateKey: .init())
    static let partnerKey = RelaySigningKey(keyID: "370100-relay-1", privateKey: .init())

    func file(_ name: String, _ text: String) -> String {
        let path = folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func configuration(partners: String, key: String = Self.key.privateJWK) throws(ConfigurationError) -> RelaySettings {
        try RelaySettings(environment: EnvironmentVariables([
            "TONGBAN_RELAY_PARTNERS_FILE": file("partners-\(UUID().uuidString.prefix(6)).json", partners),
            "TONGBAN_RELAY_SIGNING_KEY_FILE": file("key-\(UUID().uuidString.prefix(6)).jwk", key),
        ]), homeRegion: "130100")
    }

    func refusal(partners: String, key: String = Self.key.privateJWK) -> ConfigurationError? {
        do {
            _ = try configuration(partners: partners, key: key)
            return nil
        } catch {
            return error
        }
    }

    static func partner(region: String = "370100", keys: String = partnerKey.publicJWK, inbox: String = #"{"bootstrapServers": "kafka.jinan.example:9093"}"#) -> String {
        #"{"partners": [{"region": "\#(region)", "name": "济南市", "keys": [\#(keys)], "inbox": \#(inbox)}]}"#
    }

    @Test("a partner with its key, its inbox and its TLS/SASL settings; the secret read from its own file")
    func goodFile() throws {
        let secret = file("jinan-password", "s3cret\n")
        let loaded = try configuration(partners: Self.partner(inbox: """
            {"bootstrapServers": "kafka.jinan.example:9093", "topic": "jinan.tongban.relay.inbox.v1",
             "settings": {"security.protocol": "sasl_ssl", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "sjz"},
             "secretFiles": {"sasl.password": "\(secret)"}}
            """))
        let jinan = try #require(loaded.partners["370100"])
        #expect(jinan.name == "济南市")
        #expect(jinan.keys["370100-relay-1"]?.rawRepresentation == Self.partnerKey.privateKey.publicKey.rawRepresentation)
        #expect(jinan.inbox.topic == "jinan.tongban.relay.inbox.v1")
        #expect(jinan.inbox.settings == ["security.protocol": "sasl_ssl", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "sjz", "sasl.password": "s3cret"])
        #expect(loaded.signingKey.keyID == "130100-relay-1")
        #expect(!"\(loaded.signingKey)".contains(Base64URL.encode(Array(Self.key.privateKey.rawRepresentation))))
        // Without a topic, the partner's inbox has the usual name.
        #expect(try configuration(partners: Self.partner()).partners["370100"]?.inbox.topic == "tongban.relay.inbox.v1")
        #expect(try configuration(partners: #"{"partners": []}"#).partners.partners.isEmpty)
    }

    @Test("a bad partner registry is refused, naming the variable and what is wrong where")
    func badRegistry() {
        let cases: [(String, String)] = [
            ("not json", "not a partner registry"),
            (#"{"partners": [{"region": "370100"}]}"#, "partners[0].name is missing"),
            (Self.partner(region: "999999"), "partners[0].region '999999' is not a division code"),
            (Self.partner(region: "130100"), "this relay's own region"),
            (Self.partner(keys: ""), "partners[0].keys is empty"),
            (Self.partner(keys: Self.partnerKey.privateJWK), "partners[0].keys[0] holds a private key"),
            (Self.partner(keys: #"{"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "short"}"#), "partners[0].keys[0]: x is not a 32-byte"),
            (Self.partner(inbox: #"{"bootstrapServers": " "}"#), "partners[0].inbox.bootstrapServers is empty"),
            (Self.partner(inbox: #"{"bootstrapServers": "k:9093", "topic": "no spaces please"}"#), "is not a Kafka topic name"),
            (Self.partner(inbox: #"{"bootstrapServers": "k:9093", "secretFiles": {"sasl.password": "/nonexistent"}}"#), "'/nonexistent' cannot be read"),
        ]
        for (text, problem) in cases {
            let error = refusal(partners: text)
            #expect(error?.variable == "TONGBAN_RELAY_PARTNERS_FILE", "\(text)")
            #expect(error?.problem.contains(problem) == true, "\(error?.problem ?? "accepted") does not say \(problem)")
        }
    }

    @Test("a bad signing key is refused, naming the variable, never showing the key")
    func badKey() {
        let other = RelaySigningKey(keyID: "k", privateKey: .init())
        let mismatched = #"{"kty":"OKP","crv":"Ed25519","kid":"k","x":"\#(Base64URL.encode(Array(other.privateKey.publicKey.rawRepresentation)))","d":"\#(Base64URL.encode(Array(Self.key.privateKey.rawRepresentation)))"}"#
        for (key, problem) in [(Self.key.publicJWK, "d is not"), ("{}", "not a JSON Web Key"), (mismatched, "x is not the public half of d")] {
            let error = refusal(partners: #"{"partners": []}"#, key: key)
            #expect(error?.variable == "TONGBAN_RELAY_SIGNING_KEY_FILE")
            #expect(error?.problem.contains(problem) == true, "\(error?.problem ?? "accepted")")
            #expect(error?.description.contains(Base64URL.encode(Array(Self.key.privateKey.rawRepresentation))) == false)
        }
        #expect(throws: ConfigurationError.self) {
            try RelaySettings(environment: EnvironmentVariables([:]), homeRegion: "130100")
        }
    }
}

/// Which of a case's waiting envelopes a delivery pass sends: the partner must get them in sequence.
@Suite("relay: what a delivery pass sends")
struct TransmissionOrderTests {
    static func pending(_ sequence: Int?, due: Bool, failures: Int = 0) -> DeliveryLoop.Pending {
        DeliveryLoop.Pending(id: Int64(sequence ?? 0), caseReference: "130100-20261123-000001", kind: sequence == nil ? .receipt : .status,
                             sequence: sequence, payload: [], due: due, attempts: 1, failures: failures)
    }

    func sent(_ pending: [DeliveryLoop.Pending]) -> [Int?] {
        DeliveryLoop.toTransmit(pending).map(\.sequence)
    }

    @Test("from the first due envelope on, everything after it goes too; due receipts always go")
    func inSequence() {
        // 1 was sent and awaits its receipt; 2 is new: only 2 goes.
        #expect(sent([Self.pending(1, due: false), Self.pending(2, due: true)]) == [2])
        // 1's receipt is late: 1 goes again, and 2 (not due) with it, in order.
        #expect(sent([Self.pending(1, due: true), Self.pending(2, due: false)]) == [1, 2])
        #expect(sent([Self.pending(nil, due: true), Self.pending(nil, due: false), Self.pending(1, due: false)]) == [nil])
        #expect(sent([Self.pending(1, due: false), Self.pending(2, due: false)]) == [])
    }

    @Test("an envelope whose transmission failed and is not due yet holds back the later ones")
    func failureHoldsBack() {
        #expect(sent([Self.pending(1, due: false, failures: 2), Self.pending(2, due: true), Self.pending(3, due: true)]) == [])
        #expect(sent([Self.pending(1, due: true, failures: 2), Self.pending(2, due: true)]) == [1, 2])
    }
}
