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
import TestSupport
import Testing
import TongbanClient

/// B's site goes away — its relay and its broker, which loses everything in memory — while A goes
/// on working. A's relay keeps every envelope for B and delivers them all, each once and in
/// order, when B is back. (B's broker is the test's own, so this suite may stop it.)
@Suite("relay: a partner away for a while", .timeLimit(.minutes(5)))
struct RelayOutageTests {
    @Test("with B's broker stopped, A's relay keeps everything and delivers it all, once and in order, when B returns")
    func partnerAway() async throws {
        let regions = try await TwoRegions()
        let (a, b) = (regions.a, regions.b)
        let relayA = try await regions.relay(.a)
        let admin = try await a.token(Principal(subject: "ops-1", role: .admin))
        try await relayA.app.test(.live) { client in
            // While B is there: B hands A a case (B's window, A's matters).
            let handedIn = Samples.caseNumber(TwoRegions.regionB)
            let matters = [Samples.matter("130100-SC-001", region: TwoRegions.regionA), Samples.matter("130100-SC-002", region: TwoRegions.regionA)]
            let relayB = try await regions.relay(.b)
            try await relayB.app.test(.live) { _ in
                _ = try await b.publish(Samples.submitted(handedIn, region: TwoRegions.regionB, matters: matters), to: .caseSubmitted, key: handedIn)
                #expect(try await a.events(on: .caseReceived, key: handedIn).count == 1)
                // B's window heard that A has it.
                #expect(try await b.events(on: .partnerUpdate, key: handedIn).first?.decode(PartnerUpdate.self).status == .received)
            }
            try await regions.brokerB.stop()

            // B is away. A decides the handed-in case step by step, and A's window takes a new case for B.
            func enqueued(_ expected: Int) async throws -> Bool {
                try await eventually { try await count("SELECT count(*) FROM deliveries WHERE partner = '370100' AND kind <> 'receipt' AND acknowledged_at IS NULL", in: relayA.runtime) == expected }
            }
            let tasks = matters.enumerated().map { index, matter in
                TasksOpened.Task(taskID: "t\(index)", matterCode: matter.code, matterName: matter.name, department: matter.department,
                                 departmentName: matter.departmentName, mode: .standard, deadlines: Samples.deadlines)
            }
            _ = try await a.publish(TasksOpened(caseNumber: handedIn, region: TwoRegions.regionA, acceptedAt: Samples.accepted, tasks: tasks), to: .tasksOpened, key: handedIn)
            #expect(try await enqueued(1))
            let decisions = [Samples.decision(matters[0], taskID: "t0"), Samples.decision(matters[1], taskID: "t1")]
            for decision in decisions {
                _ = try await a.publish(TaskDecided(caseNumber: handedIn, region: TwoRegions.regionA, decision: decision), to: .taskDecided, key: handedIn)
            }
            #expect(try await enqueued(3))
            _ = try await a.publish(BundleDecided(
                caseNumber: handedIn, region: TwoRegions.regionA, bundle: nil, applicant: Samples.applicant, acceptedAt: Samples.accepted,
                decidedAt: Date(), decisions: decisions, onTime: true, handedOverFrom: .init(region: TwoRegions.regionB, caseNumber: handedIn)
            ), to: .bundleDecided, key: handedIn)
            #expect(try await enqueued(4))
            let licences = matters.enumerated().map { Samples.licenceSummary($1, number: "SJZ-000\($0)") }
            _ = try await a.publish(LicencesIssued(caseNumber: handedIn, issuedAt: Date(), licences: licences, refused: [], handedOverFrom: .init(region: TwoRegions.regionB, caseNumber: handedIn)), to: .licencesIssued, key: handedIn)
            #expect(try await enqueued(5))
            let newCase = Samples.caseNumber(TwoRegions.regionA)
            _ = try await a.publish(Samples.submitted(newCase, region: TwoRegions.regionA, matters: [Samples.matter("370100-SC-001", region: TwoRegions.regionB)]), to: .caseSubmitted, key: newCase)
            #expect(try await enqueued(6))

            // A keeps trying, and the operator sees why and how much waits.
            let triedAndFailed = try await eventually {
                try await count("SELECT count(*) FROM deliveries WHERE partner = '370100' AND failures > 0 AND acknowledged_at IS NULL", in: relayA.runtime) == 6
            }
            #expect(triedAndFailed)
            let view = try await client.execute(uri: "/relay/partners", method: .get, headers: [.authorization: "Bearer \(admin)"])
            let standing = try #require(try Envelope.decoder.decode(PartnerStandings.self, from: Data(view.body.readableBytesView)).partners.first)
            #expect(standing.backlog == 6)
            #expect(standing.oldestUndeliveredSeconds > 0)
            #expect(standing.lastError != nil)
            let gauged = await eventually { relayA.runtime.metrics.exposition().contains(#"relay_backlog{partner="370100"} 6"#) }
            #expect(gauged)

            // B is back: a new, empty broker on the same address, and B's relay over its own database.
            try await regions.brokerB.start()
            let relayBAgain = try await regions.relay(.b)
            try await relayBAgain.app.test(.live) { _ in
                let updates = try await b.events(on: .partnerUpdate, key: handedIn, count: 5).map { try $0.decode(PartnerUpdate.self) }
                #expect(updates.map(\.status) == [.accepted, .matterDecided, .matterDecided, .decided, .licencesIssued])
                #expect(updates.last?.licences == licences)
                let part = try #require(try await b.events(on: .caseReceived, key: newCase).first).decode(CaseSubmitted.self)
                #expect(part.handedOverFrom == .init(region: TwoRegions.regionA, caseNumber: newCase))

                // Every one acknowledged, and applied once: retransmissions were only answered again.
                let drained = try await eventually {
                    try await count("SELECT count(*) FROM deliveries WHERE partner = '370100' AND acknowledged_at IS NULL", in: relayA.runtime) == 0
                }
                #expect(drained)
                // B's window heard of its case once per step: `received` before the outage, then the five.
                let published = try await relayBAgain.runtime.database.query("""
                    SELECT payload FROM outbox WHERE event_key = \(handedIn) AND topic = \(b.topic(.partnerUpdate).name) ORDER BY position
                    """).decode(Data.self).map { try Envelope.decode(PartnerUpdate.self, from: Array($0)).status }
                #expect(published == [.received, .accepted, .matterDecided, .matterDecided, .decided, .licencesIssued])
                #expect(try await count("SELECT count(*) FROM outbox WHERE event_key = \(newCase) AND topic = \(b.topic(.caseReceived).name)", in: relayBAgain.runtime) == 1)
                #expect(try await count("SELECT last_sequence FROM inbound_conversations WHERE sender = '130100' AND case_reference = \(handedIn)", in: relayBAgain.runtime) == 5)
            }
        }
    }

    @Test("after B's broker lost everything, a message read where an earlier one was is handled, not taken for a redelivery of that one")
    func placeTakenAgainAfterBrokerLoss() async throws {
        let regions = try await TwoRegions()
        let b = regions.b
        // The same bytes both times, as a partner's broken producer would send them again: the
        // quarantine is keyed by place and bytes, so only the record's time tells the two apart.
        let broken = Array("{\"sender\": 130100, not an envelope".utf8)
        let kafkaKey = Samples.caseNumber(TwoRegions.regionA)
        @Sendable func quarantined(in runtime: ServiceRuntime) async throws -> [(partition: Int, offset: Int64)] {
            try await runtime.database.query("SELECT kafka_partition, kafka_offset FROM quarantine ORDER BY id").decode((Int, Int64).self).map { ($0.0, $0.1) }
        }

        let first = try await regions.relay(.b)
        try await first.app.test(.live) { _ in
            try await regions.deliver(broken, to: .b, kafkaKey: kafkaKey)
            #expect(try await b.messages(on: .relayQuarantine, count: 1).count == 1)
            // The row commits just after the quarantine topic has the message.
            #expect(try await eventually { try await quarantined(in: first.runtime).count == 1 })
        }

        // B's broker restarts empty: its offsets start from 0 again, under B's relay's old records.
        try await regions.brokerB.stop()
        try await regions.brokerB.start()
        let again = try await regions.relay(.b)
        try await again.app.test(.live) { _ in
            try await regions.deliver(broken, to: .b, kafkaKey: kafkaKey)
            let onTopic = try await b.messages(on: .relayQuarantine, count: 1)
            #expect(onTopic.first?.value == broken, "the new broker's quarantine topic has the message")
            #expect(onTopic.first?.headers.first { $0.key == "dlq_reason" }?.stringValue?.hasPrefix("malformed: ") == true)
            #expect(try await eventually { try await quarantined(in: again.runtime).count == 2 }, "quarantined again, not dropped as a redelivery")
            let rows = try await quarantined(in: again.runtime)
            #expect(rows.first?.partition == rows.last?.partition && rows.first?.offset == rows.last?.offset, "both were read at the same place")
        }
    }
}
