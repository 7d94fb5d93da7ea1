import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import Messaging
import Postgres
@testable import Relay
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing

/// 异地代收代办 and 多地联办 between two regions, each with its relay, its own broker and database:
/// the other services are played by publishing their events in their region.
@Suite("relay: cases and their results between two regions", .timeLimit(.minutes(4)))
struct RelayExchangeTests {
    @Test("a case handed over from A reaches B as case-received; B's approval and seal come back to A as partner-updates, in order")
    func handedOverAndBack() async throws {
        let regions = try await TwoRegions()
        let (a, b) = (regions.a, regions.b)
        let relayA = try await regions.relay(.a)
        let relayB = try await regions.relay(.b)
        try await relayA.app.test(.live) { _ in
            try await relayB.app.test(.live) { _ in
                // A's window accepts a case for three of B's matters (B handles it, A's window collects).
                let number = Samples.caseNumber(TwoRegions.regionA)
                let matters = ["370100-SC-001", "370100-SC-002", "370100-SC-003"].map { Samples.matter($0, region: TwoRegions.regionB) }
                _ = try await a.publish(Samples.submitted(number, region: TwoRegions.regionA, matters: matters), to: .caseSubmitted, key: number)

                let received = try #require(try await b.events(on: .caseReceived, key: number).first)
                let handedIn = try received.decode(CaseSubmitted.self)
                #expect(handedIn.caseNumber == number)
                #expect(handedIn.handedOverFrom == .init(region: TwoRegions.regionA, caseNumber: number))
                #expect(handedIn.matters == matters)
                #expect(handedIn.applicant == Samples.applicant)

                // A's window learns that B has it.
                let receivedUpdate = try #require(try await a.events(on: .partnerUpdate, key: number).first).decode(PartnerUpdate.self)
                #expect(receivedUpdate.status == .received)
                #expect(receivedUpdate.partnerRegion == TwoRegions.regionB && receivedUpdate.partnerName == TwoRegions.nameB)

                // B's approval opens the tasks and decides them one by one; its seal issues the licences.
                let tasks = matters.enumerated().map { index, matter in
                    TasksOpened.Task(taskID: "task-\(index)", matterCode: matter.code, matterName: matter.name, department: matter.department,
                                     departmentName: matter.departmentName, mode: .standard, deadlines: Samples.deadlines)
                }
                _ = try await b.publish(TasksOpened(caseNumber: number, region: TwoRegions.regionB, acceptedAt: Samples.accepted, tasks: tasks), to: .tasksOpened, key: number)
                #expect(try await a.events(on: .partnerUpdate, key: number, count: 2).count == 2)
                let decisions = [
                    Samples.decision(matters[0], taskID: "task-0"),
                    Samples.decision(matters[1], taskID: "task-1", outcome: .rejected),
                    Samples.decision(matters[2], taskID: "task-2"),
                ]
                for decision in decisions {
                    _ = try await b.publish(TaskDecided(caseNumber: number, region: TwoRegions.regionB, decision: decision), to: .taskDecided, key: number)
                }
                #expect(try await a.events(on: .partnerUpdate, key: number, count: 5).count == 5)
                _ = try await b.publish(BundleDecided(
                    caseNumber: number, region: TwoRegions.regionB, bundle: nil, applicant: Samples.applicant, acceptedAt: Samples.accepted,
                    decidedAt: Date(), decisions: decisions, onTime: true, handedOverFrom: .init(region: TwoRegions.regionA, caseNumber: number)
                ), to: .bundleDecided, key: number)
                #expect(try await a.events(on: .partnerUpdate, key: number, count: 6).count == 6)
                let licences = [Samples.licenceSummary(matters[0], number: "JN-0001"), Samples.licenceSummary(matters[2], number: "JN-0002")]
                _ = try await b.publish(LicencesIssued(
                    caseNumber: number, issuedAt: Date(), licences: licences,
                    refused: [.init(matterCode: matters[1].code, matterName: matters[1].name, legalBasis: "《行政许可法》第三十八条")],
                    handedOverFrom: .init(region: TwoRegions.regionA, caseNumber: number)
                ), to: .licencesIssued, key: number)

                let updates = try await a.events(on: .partnerUpdate, key: number, count: 7).map { try $0.decode(PartnerUpdate.self) }
                #expect(updates.map(\.status) == [.received, .accepted, .matterDecided, .matterDecided, .matterDecided, .decided, .licencesIssued])
                #expect(updates[1].matters.map(\.matterCode) == matters.map(\.code))
                #expect(updates[1].matters.first?.promisedDeadline == Samples.deadlines.promisedDeadline)
                #expect(updates[2...4].map { $0.matters.first?.outcome } == [.approved, .rejected, .approved])
                #expect(updates[3].matters.first?.legalBasis == "《行政许可法》第三十八条")
                let result = updates[6]
                #expect(result.kind == .result)
                #expect(result.licences == licences)
                #expect(result.licences.allSatisfy { $0.issuingRegion == TwoRegions.regionB })
                #expect(result.refused.map(\.matterCode) == [matters[1].code])
                #expect(updates.allSatisfy { $0.caseNumber == number && $0.partnerRegion == TwoRegions.regionB })

                // Every envelope both ways was acknowledged: nothing waits in either relay.
                let settled = try await eventually {
                    let waitingInA = try await count("SELECT count(*) FROM deliveries WHERE acknowledged_at IS NULL", in: relayA.runtime)
                    let waitingInB = try await count("SELECT count(*) FROM deliveries WHERE acknowledged_at IS NULL", in: relayB.runtime)
                    return waitingInA == 0 && waitingInB == 0
                }
                #expect(settled)
            }
        }
    }

    @Test("a bundle with matters of A and B is split: B gets only its matters and their owed materials; A's stay home")
    func bundleSplit() async throws {
        let regions = try await TwoRegions()
        let (a, b) = (regions.a, regions.b)
        let relayA = try await regions.relay(.a)
        let relayB = try await regions.relay(.b)
        try await relayA.app.test(.live) { _ in
            try await relayB.app.test(.live) { _ in
                let number = Samples.caseNumber(TwoRegions.regionA)
                let home = Samples.matter("130100-SC-001", region: TwoRegions.regionA)
                let away = [Samples.matter("370100-WA-001", region: TwoRegions.regionB, department: "water"), Samples.matter("370100-SC-009", region: TwoRegions.regionB)]
                let owed = [
                    CaseSubmitted.Deficiency(matterCode: home.code, materialCode: "health-certificate", name: "从业人员健康证明", dueBy: "2026-11-30"),
                    CaseSubmitted.Deficiency(matterCode: away[0].code, materialCode: "water-report", name: "水资源论证报告", dueBy: "2026-12-04"),
                ]
                let bundle = Samples.submitted(number, region: TwoRegions.regionA, matters: [home] + away, deficiencies: owed)
                _ = try await a.publish(bundle, to: .caseSubmitted, key: number)

                let part = try #require(try await b.events(on: .caseReceived, key: number).first).decode(CaseSubmitted.self)
                #expect(part.matters == away)
                #expect(part.deficiencies == [owed[1]])
                #expect(part.bundle == bundle.bundle)
                #expect(part.handedOverFrom == .init(region: TwoRegions.regionA, caseNumber: number))
                // A's own matter goes to no partner: A's approval takes it from intake's event.
                #expect(try await count("SELECT count(*) FROM cases_handed_out WHERE case_number = \(number)", in: relayA.runtime) == 1)
                #expect(try await count("SELECT count(*) FROM deliveries WHERE kind = 'case-handed-over'", in: relayA.runtime) == 1)

                // B's licences come back; A's own come from A's seal, so the origin case has both.
                let licence = Samples.licenceSummary(away[1], number: "JN-0009")
                _ = try await b.publish(LicencesIssued(caseNumber: number, issuedAt: Date(), licences: [licence], refused: [], handedOverFrom: part.handedOverFrom), to: .licencesIssued, key: number)
                let updates = try await a.events(on: .partnerUpdate, key: number, count: 2).map { try $0.decode(PartnerUpdate.self) }
                #expect(updates.map(\.status) == [.received, .licencesIssued])
                #expect(updates.last?.licences == [licence])
            }
        }
    }

    @Test("two instances of A's relay share the consumers and the deliveries: every case reaches B once, and all are acknowledged")
    func twoInstances() async throws {
        let regions = try await TwoRegions()
        let (a, b) = (regions.a, regions.b)
        let first = try await regions.relay(.a)
        let second = try await regions.relay(.a, instanceOf: first.runtime)
        let relayB = try await regions.relay(.b)
        try await first.app.test(.live) { _ in
            try await second.app.test(.live) { _ in
                try await relayB.app.test(.live) { _ in
                    let numbers = (0..<12).map { _ in Samples.caseNumber(TwoRegions.regionA) }
                    for number in numbers {
                        _ = try await a.publish(Samples.submitted(number, region: TwoRegions.regionA, matters: [Samples.matter("370100-SC-001", region: TwoRegions.regionB)]), to: .caseSubmitted, key: number)
                    }
                    let settled = try await eventually {
                        try await count("SELECT count(*) FROM deliveries WHERE kind = 'case-handed-over' AND acknowledged_at IS NOT NULL", in: first.runtime) == numbers.count
                    }
                    #expect(settled)
                    for number in numbers {
                        #expect(try await count("SELECT count(*) FROM outbox WHERE event_key = \(number) AND topic = \(b.topic(.caseReceived).name)", in: relayB.runtime) == 1)
                    }
                    #expect(try await count("SELECT count(*) FROM cases_handed_in", in: relayB.runtime) == numbers.count)
                }
            }
        }
    }

    @Test("a case with a matter of a region that is no partner is set aside whole in the relay's dead letters, with the reason")
    func noSuchPartner() async throws {
        let regions = try await TwoRegions()
        let relayA = try await regions.relay(.a)
        try await relayA.app.test(.live) { _ in
            let number = Samples.caseNumber(TwoRegions.regionA)
            let matters = [Samples.matter("370100-SC-001", region: TwoRegions.regionB), Samples.matter("440300-SC-001", region: "440300")]
            _ = try await regions.a.publish(Samples.submitted(number, region: TwoRegions.regionA, matters: matters), to: .caseSubmitted, key: number)
            let letter = try #require(try await regions.a.messages(on: .deadLetters(of: "relay"), key: number).first)
            let reason = letter.headers.first { $0.key == "dlq_reason" }?.stringValue
            #expect(reason?.contains("440300") == true && reason?.contains("not a partner") == true)
            // Nothing half handed over: not even B's matter went.
            #expect(try await count("SELECT count(*) FROM deliveries", in: relayA.runtime) == 0)
        }
    }
}
