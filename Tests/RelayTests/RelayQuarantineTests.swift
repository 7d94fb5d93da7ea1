import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import Messaging
import NIOCore
import Postgres
@testable import Relay
import ServiceKit
import ServiceTestSupport
import Signing
import TestSupport
import Testing
import TongbanClient

/// Envelopes on A's inbox that fail a check: each goes to the quarantine topic unchanged with its
/// reason, and changes nothing; good envelopes around them are applied, and only they.
@Suite("relay: the inbox quarantines what fails a check", .timeLimit(.minutes(4)))
struct RelayQuarantineTests {
    @Test("bad signature, unknown sender, wrong receiver, stale time, replayed id, oversized and schema-invalid payloads are quarantined with their reasons")
    func everyReason() async throws {
        let regions = try await TwoRegions()
        let a = regions.a
        let relayA = try await regions.relay(.a)
        try await relayA.app.test(.live) { client in
            let (jinan, shijiazhuang) = (TwoRegions.regionB, TwoRegions.regionA)
            // No materials: a case listing some would wait for them (RelayMaterialTests) instead of being published.
            func handedOver(_ number: String, materials: Int = 0) -> CaseSubmitted {
                var submitted = Samples.submitted(number, region: jinan, matters: [Samples.matter("130100-SC-001", region: shijiazhuang)])
                submitted.handedOverFrom = .init(region: jinan, caseNumber: number)
                submitted.materials = Array(repeating: submitted.materials[0], count: materials)
                return submitted
            }
            func signed(_ number: String, payload: CaseSubmitted? = nil, sender: String = jinan, receiver: String = shijiazhuang,
                        issuedAt: Date = Date(), key: RelaySigningKey? = nil) throws -> [UInt8] {
                try TwoRegions.envelope(from: sender, to: receiver, kind: .caseHandedOver, caseReference: number, sequence: 1,
                                        payload: payload ?? handedOver(number), issuedAt: issuedAt, key: key ?? regions.keyB)
            }
            func withdrawal(of number: String) throws -> [UInt8] {
                try TwoRegions.envelope(from: jinan, to: shijiazhuang, kind: .caseWithdrawn, caseReference: number, sequence: 1,
                                        payload: CaseWithdrawn(caseNumber: number, reason: nil, withdrawnAt: Date()), key: regions.keyB)
            }
            func status(about number: String) throws -> [UInt8] {
                try TwoRegions.envelope(from: jinan, to: shijiazhuang, kind: .status, caseReference: number, sequence: 1,
                                        payload: CaseProgress(caseNumber: number, status: .accepted, occurredAt: Date(), matters: []), key: regions.keyB)
            }

            // One Kafka key for all of them: one partition, read in the order sent.
            let lane = Samples.caseNumber(jinan)
            let first = Samples.caseNumber(jinan)
            let good = try signed(first)
            let oversized = Samples.caseNumber(jinan)
            let broken = Samples.caseNumber(jinan)
            let bad: [(QuarantineReason.Code, [UInt8])] = [
                (.badSignature, try signed(Samples.caseNumber(jinan), key: RelaySigningKey(keyID: regions.keyB.keyID, privateKey: .init()))),
                (.unknownSender, try signed(Samples.caseNumber("440300"), sender: "440300", key: RelaySigningKey(keyID: "440300-relay-1", privateKey: .init()))),
                (.wrongReceiver, try signed(Samples.caseNumber(jinan), receiver: "310100")),
                (.stale, try signed(Samples.caseNumber(jinan), issuedAt: Date().addingTimeInterval(-3600))),
                (.replayedID, good),
                (.oversized, try signed(oversized, payload: handedOver(oversized, materials: 400))),
                (.schemaInvalid, try signed(broken, payload: { var payload = handedOver(broken); payload.applicant.identifier = "not-an-id"; return payload }())),
                (.malformed, Array("{\"sender\": 370100".utf8)),
                // A status about a case A never handed to 济南.
                (.unknownCase, try status(about: Samples.caseNumber(shijiazhuang))),
                // A withdrawal of a case 济南 never handed to A.
                (.unknownCase, try withdrawal(of: Samples.caseNumber(jinan))),
            ]
            let last = Samples.caseNumber(jinan)
            try await regions.deliver(good, to: .a, kafkaKey: lane)
            for (_, value) in bad { try await regions.deliver(value, to: .a, kafkaKey: lane) }
            try await regions.deliver(try signed(last), to: .a, kafkaKey: lane)

            // The case sent last was applied, so everything before it was handled.
            let lastApplied = try await eventually { try await count("SELECT count(*) FROM cases_handed_in WHERE case_number = \(last)", in: relayA.runtime) == 1 }
            #expect(lastApplied)

            let quarantined = try await a.messages(on: .relayQuarantine, count: bad.count)
            #expect(quarantined.count == bad.count)
            for ((code, value), message) in zip(bad, quarantined) {
                let reason = message.headers.first { $0.key == "dlq_reason" }?.stringValue ?? ""
                #expect(reason.hasPrefix(code.rawValue + ": "), "expected \(code.rawValue), got \(reason)")
                #expect(message.value == value, "quarantined unchanged")
                #expect(message.headers.first { $0.key == "dlq_topic" }?.stringValue == a.topic(.relayInbox).name)
                #expect(message.headers.contains { $0.key == "ce_id" }, "the original headers are kept")
            }

            // Changed nothing: only the two good cases were taken, answered and published.
            #expect(try await count("SELECT count(*) FROM cases_handed_in", in: relayA.runtime) == 2)
            #expect(try await count("SELECT count(*) FROM deliveries WHERE kind = 'receipt'", in: relayA.runtime) == 2)
            #expect(try await count("SELECT count(*) FROM outbox", in: relayA.runtime) == 2)
            #expect(try await count("SELECT count(*) FROM quarantine", in: relayA.runtime) == bad.count)

            // The operator sees the counts per partner and the quarantined messages' reasons.
            let admin = try await a.token(Principal(subject: "ops-1", role: .admin))
            let view = try await client.execute(uri: "/relay/partners", method: .get, headers: [.authorization: "Bearer \(admin)"])
            #expect(view.status == .ok)
            let standings = try Envelope.decoder.decode(PartnerStandings.self, from: Data(view.body.readableBytesView))
            // Claiming to be 济南: bad signature, wrong receiver, stale, replayed, schema-invalid, two unknown cases. No
            // sender is read from an oversized message, nor from one that is not JSON.
            #expect(standings.partners.map(\.region) == [jinan])
            #expect(standings.partners.first?.quarantined == 7)
            #expect(standings.quarantinedFromUnknownSenders == 3)
            let list = try await client.execute(uri: "/relay/quarantine?limit=20", method: .get, headers: [.authorization: "Bearer \(admin)"])
            let items = try Envelope.decoder.decode(QuarantineList.self, from: Data(list.body.readableBytesView)).items
            #expect(items.map(\.reason) == bad.reversed().map(\.0.rawValue))
            let clerk = try await a.token(Principal(subject: "clerk-1", role: .clerk, region: shijiazhuang))
            #expect(try await client.execute(uri: "/relay/partners", method: .get, headers: [.authorization: "Bearer \(clerk)"]).status == .forbidden)
            #expect(try await client.execute(uri: "/relay/quarantine?limit=0", method: .get, headers: [.authorization: "Bearer \(admin)"]).status == .badRequest)

            let metrics = relayA.runtime.metrics.exposition()
            #expect(metrics.contains(#"relay_quarantined_total{partner="370100",reason="bad-signature"} 1"#))
            #expect(metrics.contains(#"relay_quarantined_total{partner="unknown",reason="unknown-sender"} 1"#))
        }
    }
}
