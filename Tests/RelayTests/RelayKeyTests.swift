import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import MessageLog
import Messaging
import Postgres
@testable import Relay
import ServiceKit
import ServiceTestSupport
import Signing
import TestSupport
import Testing

/// A partner rotates its key while this relay runs: the registry's new key counts at once, the
/// retired one verifies nothing new, and the message log still proves what the retired key signed.
@Suite("relay: partner keys change without a restart", .timeLimit(.minutes(3)))
struct RelayKeyTests {
    @Test("B's registry lists A's new key in place of the old: A's envelopes under the new key are taken at once, under the old one quarantined; the log still verifies both")
    func rotation() async throws {
        let regions = try await TwoRegions()
        let b = regions.b
        let relayB = try await regions.relay(.b)
        try await relayB.app.test(.live) { _ in
            func handOver(_ number: String, key: RelaySigningKey) throws -> [UInt8] {
                var submitted = Samples.submitted(number, region: TwoRegions.regionA, matters: [Samples.matter("370100-SC-001", region: TwoRegions.regionB)])
                submitted.materials = []
                submitted.handedOverFrom = .init(region: TwoRegions.regionA, caseNumber: number)
                return try TwoRegions.envelope(from: TwoRegions.regionA, to: TwoRegions.regionB, kind: .caseHandedOver, caseReference: number, sequence: 1, payload: submitted, key: key)
            }
            let before = Samples.caseNumber(TwoRegions.regionA)
            try await regions.deliver(try handOver(before, key: regions.keyA), to: .b, kafkaKey: before)
            #expect(try await b.events(on: .caseReceived, key: before).count == 1)

            // A's operator sends the new public key; B's operator lists it and removes the old one.
            let rotated = RelaySigningKey(keyID: "130100-relay-next", privateKey: .init())
            try regions.write(TwoRegions.registry(region: TwoRegions.regionA, name: TwoRegions.nameA, key: rotated, bootstrapServers: regions.a.cluster.kafkaBootstrapServers,
                                              inbox: regions.a.topic(.relayInbox).name), to: "b-partners.json")
            let after = Samples.caseNumber(TwoRegions.regionA)
            try await regions.deliver(try handOver(after, key: rotated), to: .b, kafkaKey: after)
            #expect(try await b.events(on: .caseReceived, key: after).count == 1, "the new key was not taken without a restart")

            let late = Samples.caseNumber(TwoRegions.regionA)
            try await regions.deliver(try handOver(late, key: regions.keyA), to: .b, kafkaKey: late)
            let refused = try await eventually {
                try await count("SELECT count(*) FROM quarantine WHERE reason = 'bad-signature' AND partner = '130100'", in: relayB.runtime) == 1
            }
            #expect(refused, "the retired key still signed something new")

            // Both keys' envelopes are in the log, and the log holds.
            let verified = try await relayB.runtime.database.withConnection { connection in
                MessageLog.verify(try await MessageLog.entries(of: TwoRegions.regionA, on: connection), partner: TwoRegions.regionA,
                                  head: try await MessageLog.head(of: TwoRegions.regionA, on: connection), keys: try await MessageLog.keys(on: connection))
            }
            let keyIDs = try await relayB.runtime.database.query("SELECT DISTINCT key_id FROM message_log WHERE direction = 'received' ORDER BY key_id").decode(String.self)
            #expect(keyIDs == [rotated.keyID, regions.keyA.keyID].sorted())
            #expect((try? verified.get()) != nil, "\(verified)")
        }
    }
}
