import Crypto
import Foundation
import Messaging
import Signing

/// One envelope between partner regions (the inbox topic's schema, `RelayEnvelopeSchema`): who
/// sends it to whom, what it is, for which case, in which place of the case's sequence, and the
/// sender's signature — Ed25519 over the RFC 8785 canonical form of everything else. A receiver
/// needs only the JSON value, however a broker or a partner's code laid it out, to verify it.
struct PartnerEnvelope: Sendable {
    var id: String
    var sender: String
    var receiver: String
    var kind: RelayEnvelopeKind
    /// The case number in the origin region.
    var caseReference: String
    /// From 1 per sender, receiver and case; 0 for receipts, which are not ordered.
    var sequence: Int
    var issuedAt: Date
    var payload: JSONValue
    var keyID: String

    /// The signed envelope as JSON (its canonical form: what goes on the partner's inbox).
    func signed(with key: RelaySigningKey) throws -> [UInt8] {
        var object = unsignedObject
        object["keyID"] = .string(key.keyID)
        return try CanonicalSignature.signing(object, with: key.privateKey).canonicalBytes
    }

    var unsignedObject: JSONObject {
        [
            "id": .string(id),
            "sender": .string(sender),
            "receiver": .string(receiver),
            "kind": .string(kind.rawValue),
            "caseReference": .string(caseReference),
            "sequence": .number(Double(sequence)),
            "issuedAt": .string(Envelope.formatTime(issuedAt)),
            "payload": payload,
            "keyID": .string(keyID),
        ]
    }

    /// The Kafka message for the partner's inbox: CloudEvents headers for tooling, the case
    /// reference as key, the signed envelope as value. Only the value is trusted.
    func message(topic: String, key: RelaySigningKey) throws -> KafkaMessageParts {
        let value = try signed(with: key)
        let headers = Envelope(id: id, source: "/tongban/\(sender)/relay", type: Topic.relayInbox.eventType, time: issuedAt, key: caseReference, data: value).headers
        return KafkaMessageParts(topic: topic, key: caseReference, value: value, headers: headers)
    }
}

/// A message as the relay hands it to a producer.
struct KafkaMessageParts: Sendable {
    var topic: String
    var key: String
    var value: [UInt8]
    var headers: [(name: String, value: [UInt8])]
}

/// Why an inbox message was set aside; the code starts the quarantine's `dlq_reason` header.
struct QuarantineReason: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: String, Sendable, CaseIterable {
        case oversized, malformed
        case unknownSender = "unknown-sender"
        case badSignature = "bad-signature"
        case wrongReceiver = "wrong-receiver"
        case stale
        case replayedID = "replayed-id"
        case schemaInvalid = "schema-invalid"
        case unknownCase = "unknown-case"
        case unlistedMaterial = "unlisted-material"
        case duplicateChunk = "duplicate-chunk"
        case chunkOutOfOrder = "chunk-out-of-order"
        case chunkInvalid = "chunk-invalid"
        case digestMismatch = "digest-mismatch"
    }

    var code: Code
    var detail: String

    init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    var description: String { "\(code.rawValue): \(detail)" }
}

/// An envelope that passed every check that needs no database: a known sender's valid signature,
/// addressed here, fresh, within the size limit, schema-valid. Whether its id was seen and whether
/// its case is known are the inbox's own checks.
struct CheckedEnvelope: Sendable {
    var envelope: PartnerEnvelope
    var partner: Partner
    /// The payload as JSON bytes, for decoding into its type.
    var payloadBytes: [UInt8]
}

/// The checks every inbox message passes before anything acts on it, in this order: size (before
/// reading it), form, known sender, signature, receiver, clock skew, schema. Plain synchronous code.
struct EnvelopeInspector: Sendable {
    let homeRegion: String
    /// The partner registry as it is now (`RelayKeyring`: a partner's new key counts at once).
    let registry: @Sendable () -> PartnerRegistry
    let clockSkew: Duration
    let maximumBytes: Int
    /// The oldest a message may be by its broker's time (envelope ids are remembered this long).
    let maximumAge: Duration

    init(homeRegion: String, registry: @escaping @Sendable () -> PartnerRegistry, clockSkew: Duration, maximumBytes: Int, maximumAge: Duration = .seconds(30 * 24 * 3600)) {
        self.homeRegion = homeRegion
        self.registry = registry
        self.clockSkew = clockSkew
        self.maximumBytes = maximumBytes
        self.maximumAge = maximumAge
    }

    init(homeRegion: String, partners: PartnerRegistry, clockSkew: Duration, maximumBytes: Int) {
        self.init(homeRegion: homeRegion, registry: { partners }, clockSkew: clockSkew, maximumBytes: maximumBytes)
    }

    var partners: PartnerRegistry { registry() }

    func inspect(_ value: [UInt8], now: Date, brokerTime: Date? = nil) -> Result<CheckedEnvelope, QuarantineReason> {
        Result { () throws(QuarantineReason) in try check(value, now: now, brokerTime: brokerTime) }
    }

    /// The sender an unreadable or failing message claims, if it can be read at all, for metrics
    /// (known partners only, so a forger cannot make up labels) and the operator's view.
    func claimedSender(of value: [UInt8]) -> String? {
        guard value.count <= maximumBytes, case .object(let object)? = try? JSONValue(parsing: value) else { return nil }
        return object["sender"]?.stringValue
    }

    /// `brokerTime` is when the partner's broker took the message (its Kafka timestamp), if the
    /// broker gave one: an envelope is fresh when it was signed within the skew of that moment,
    /// however late this relay reads it — a relay that was down is not the partner's fault.
    func check(_ value: [UInt8], now: Date, brokerTime: Date? = nil) throws(QuarantineReason) -> CheckedEnvelope {
        guard value.count <= maximumBytes else {
            throw QuarantineReason(.oversized, "\(value.count) bytes; the limit is \(maximumBytes)")
        }
        let object: JSONObject
        do {
            guard case .object(let parsed) = try JSONValue(parsing: value) else { throw QuarantineReason(.malformed, "not a JSON object") }
            object = parsed
        } catch let reason as QuarantineReason {
            throw reason
        } catch {
            throw QuarantineReason(.malformed, "\(error)")
        }
        func text(_ name: String) throws(QuarantineReason) -> String {
            guard let value = object[name]?.stringValue else { throw QuarantineReason(.malformed, "\(name) is missing or not a string") }
            return value
        }
        let sender = try text("sender")
        guard let partner = partners[sender] else {
            throw QuarantineReason(.unknownSender, "\(sender.prefix(20)) is not a partner of this region")
        }
        let keyID = try text("keyID")
        guard let key = partner.keys[keyID] else {
            throw QuarantineReason(.badSignature, "\(partner.region) has no key \(keyID.prefix(64))")
        }
        guard CanonicalSignature.hasValidSignature(object, by: key) else {
            throw QuarantineReason(.badSignature, "the signature is not \(partner.region)'s key \(keyID)'s over this envelope")
        }
        let receiver = try text("receiver")
        guard receiver == homeRegion else {
            throw QuarantineReason(.wrongReceiver, "addressed to \(receiver.prefix(20)), this is \(homeRegion)")
        }
        let issuedText = try text("issuedAt")
        guard let issuedAt = Envelope.parseTime(issuedText) else { throw QuarantineReason(.malformed, "issuedAt '\(issuedText.prefix(40))' is not an RFC 3339 time") }
        let skew = Double(clockSkew.components.seconds)
        if let brokerTime {
            let age = now.timeIntervalSince(brokerTime)
            guard age >= -skew else { throw QuarantineReason(.stale, "its broker time is \(Int(-age)) s in the future; at most \(Int(skew)) s are allowed") }
            let oldest = Double(maximumAge.components.seconds)
            guard age <= oldest else { throw QuarantineReason(.stale, "its broker took it \(Int(age)) s ago; at most \(Int(oldest)) s are allowed") }
        }
        let offset = issuedAt.timeIntervalSince(brokerTime ?? now)
        guard abs(offset) <= skew else {
            let moment = brokerTime == nil ? "this relay's clock" : "the moment its broker took it"
            throw QuarantineReason(.stale, "issued \(Int(abs(offset))) s \(offset < 0 ? "before" : "after") \(moment); at most \(Int(skew)) s are allowed")
        }

        // The signature holds: from here on the content is the partner's, and only its form is in question.
        let violations = Topic.relayInbox.violations(of: object.canonicalBytes)
        guard violations.isEmpty else { throw QuarantineReason(.schemaInvalid, violations.prefix(5).joined(separator: "; ")) }
        guard let kind = RelayEnvelopeKind(rawValue: try text("kind")), let payload = object["payload"], let sequence = object["sequence"]?.numberValue else {
            throw QuarantineReason(.schemaInvalid, "kind, payload or sequence is invalid")
        }
        let payloadBytes = payload.canonicalBytes
        let payloadViolations = SchemaValidator(RelayEnvelopeSchema.payload(of: kind)).violations(of: payloadBytes).map { "payload" + $0.dropFirst() }
        guard payloadViolations.isEmpty else { throw QuarantineReason(.schemaInvalid, payloadViolations.prefix(5).joined(separator: "; ")) }
        let envelope = PartnerEnvelope(
            id: try text("id"), sender: sender, receiver: receiver, kind: kind, caseReference: try text("caseReference"),
            sequence: Int(sequence), issuedAt: issuedAt, payload: payload, keyID: keyID
        )
        guard (envelope.kind == .receipt) == (envelope.sequence == 0) else {
            throw QuarantineReason(.schemaInvalid, "sequence \(envelope.sequence) for a \(kind.rawValue): receipts have 0, everything else from 1")
        }
        try checkConsistency(envelope, payloadBytes: payloadBytes)
        return CheckedEnvelope(envelope: envelope, partner: partner, payloadBytes: payloadBytes)
    }

    /// What the schema cannot say: the payload is about the envelope's case, and a handed-over case
    /// is the sender's and only this region's matters.
    func checkConsistency(_ envelope: PartnerEnvelope, payloadBytes: [UInt8]) throws(QuarantineReason) {
        do {
            switch envelope.kind {
            case .caseHandedOver:
                let submitted = try Envelope.decode(CaseSubmitted.self, from: payloadBytes)
                guard submitted.handedOverFrom == .init(region: envelope.sender, caseNumber: envelope.caseReference), submitted.caseNumber == envelope.caseReference else {
                    throw QuarantineReason(.schemaInvalid, "payload.handedOverFrom must be the sender's case \(envelope.caseReference)")
                }
                guard !submitted.matters.isEmpty, submitted.matters.allSatisfy({ $0.region == homeRegion }) else {
                    throw QuarantineReason(.schemaInvalid, "payload.matters must be this region's (\(homeRegion)) and not empty")
                }
            case .status:
                let progress = try Envelope.decode(CaseProgress.self, from: payloadBytes)
                guard progress.caseNumber == envelope.caseReference else { throw QuarantineReason(.schemaInvalid, "payload.caseNumber is not the envelope's case") }
            case .result:
                let result = try Envelope.decode(CaseResult.self, from: payloadBytes)
                guard result.caseNumber == envelope.caseReference else { throw QuarantineReason(.schemaInvalid, "payload.caseNumber is not the envelope's case") }
                guard result.licences.allSatisfy({ $0.issuingRegion == envelope.sender }) else {
                    throw QuarantineReason(.schemaInvalid, "payload.licences must be issued by the sender's bureau")
                }
            case .receipt:
                _ = try Envelope.decode(RelayReceipt.self, from: payloadBytes)
            case .caseWithdrawn:
                let withdrawn = try Envelope.decode(CaseWithdrawn.self, from: payloadBytes)
                guard withdrawn.caseNumber == envelope.caseReference else { throw QuarantineReason(.schemaInvalid, "payload.caseNumber is not the envelope's case") }
            case .materialChunk:
                let chunk = try Envelope.decode(MaterialChunk.self, from: payloadBytes)
                guard chunk.caseNumber == envelope.caseReference else { throw QuarantineReason(.schemaInvalid, "payload.caseNumber is not the envelope's case") }
            case .materialsSupplemented:
                let supplement = try Envelope.decode(MaterialsSupplemented.self, from: payloadBytes)
                guard supplement.caseNumber == envelope.caseReference else { throw QuarantineReason(.schemaInvalid, "payload.caseNumber is not the envelope's case") }
            }
        } catch let reason as QuarantineReason {
            throw reason
        } catch {
            throw QuarantineReason(.schemaInvalid, "\(error)")
        }
    }
}
