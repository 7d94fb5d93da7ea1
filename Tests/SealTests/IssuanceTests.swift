import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
import Postgres
@testable import Seal
import ServiceKit
import ServiceTestSupport
import Signing
import Synchronization
import TestSupport
import Testing
import TongbanClient

/// 四证齐发: a decided bundle's licences, issued together, once.
@Suite struct IssuanceTests {
    @Test func aBundleWithOneRejectedMatterIssuesTheOthersAndSaysWhichWasRefused() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = SealHarness.constructionBundle(refusing: ["130100-JS-002"])
            try await harness.publish(decided)
            let issued = try await harness.licencesIssued(decided.caseNumber)

            #expect(Set(issued.licences.map(\.matterCode)) == ["130100-JS-001", "130100-JS-003", "130100-JS-004"])
            #expect(issued.refused.map(\.matterCode) == ["130100-JS-002"])
            #expect(issued.refused.first?.matterName == "建设工程规划许可")
            #expect(issued.refused.first?.legalBasis.contains("城乡规划法") == true)
            // All at once, each with its own number and a verification address.
            #expect(Set(issued.licences.map(\.licenceNumber)).count == 3)
            #expect(issued.licences.allSatisfy { $0.validFrom == issued.licences[0].validFrom && $0.holderName == "石家庄市长安建筑工程有限公司" })
            // Each verification address by an unguessable reference of its own, never by the number.
            #expect(issued.licences.allSatisfy { $0.verificationURL.hasPrefix("\(SealHarness.publicURL)/verifications/") && !$0.verificationURL.contains($0.licenceNumber) })
            #expect(Set(issued.licences.map(\.verificationURL)).count == 3)
            let permit = try #require(issued.licences.first { $0.matterCode == "130100-JS-003" })
            #expect(permit.validUntil.map { $0.timeIntervalSince(permit.validFrom) > 86400 * 365 * 3 - 86400 } == true)
            #expect(issued.licences.first { $0.matterCode == "130100-JS-001" }?.validUntil == nil)

            // The window sees the same three, each in force.
            let clerk = try await harness.token(.clerk)
            let listed = try await seal.get("/cases/\(decided.caseNumber)/licences", token: clerk).decode(CaseLicences.self)
            #expect(listed.caseNumber == decided.caseNumber)
            #expect(listed.licences.count == 3)
            #expect(Set(listed.licences.map(\.summary.licenceNumber)) == Set(issued.licences.map(\.licenceNumber)))
            #expect(listed.licences.allSatisfy { $0.standing == .valid })

            // The licence itself is a VC 2.0 credential of the bureau about the holder and matter.
            let credential = try await seal.licence(permit.licenceNumber, token: try await harness.holderToken())
            #expect(credential["type"] == ["VerifiableCredential", "LicenceCredential"])
            #expect(credential["issuer"]?["id"]?.stringValue == "\(SealHarness.publicURL)/issuers/130100")
            #expect(credential["issuer"]?["name"]?.stringValue == SealHarness.bureauName)
            #expect(credential["credentialSubject", "licenceNumber"]?.stringValue == permit.licenceNumber)
            #expect(credential["credentialSubject", "holder", "identifier"]?.stringValue == "91130100MA0CXK4E5L")
            #expect(credential["credentialSubject", "matter", "name"]?.stringValue == "建筑工程施工许可")
            #expect(credential["proof", "cryptosuite"]?.stringValue == "eddsa-jcs-2022")
            let statuses = try #require(credential["credentialStatus"]?.arrayValue)
            #expect(statuses.compactMap { $0["statusPurpose"]?.stringValue } == ["revocation", "suspension"])
        }
    }

    @Test func aDuplicateDecisionEventIssuesNothingNew() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = SealHarness.constructionBundle()
            let first = try await harness.publish(decided)
            let issued = try await harness.licencesIssued(decided.caseNumber)
            #expect(issued.licences.count == 4)

            // The same event again, then the same decision under another event id (a producer
            // that retried past its outbox, say); the second comes after the first on the partition.
            try await harness.region.publish(first, to: .bundleDecided)
            let again = try await harness.publish(decided)
            #expect(await eventually {
                let applied = try? await seal.inboxContains(again.id)
                return applied == true
            })
            let clerk = try await harness.token(.clerk)
            let listed = try await seal.get("/cases/\(decided.caseNumber)/licences", token: clerk).decode(CaseLicences.self)
            #expect(listed.licences.count == 4)
            #expect(try await seal.outboxEvents(key: decided.caseNumber) == 1)
        }
    }

    /// A revocation that comes before seal has heard of the decision (the topics keep no order
    /// between them) is not lost: the matter earns no licence.
    @Test func aRevocationBeforeTheDecisionStillHolds() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = SealHarness.constructionBundle()
            let revoked = DecisionRevoked(
                caseNumber: decided.caseNumber, taskID: "task-4", matterCode: "130100-JS-004", department: "natural-resources",
                reason: "告知承诺核查不实", legalBasis: "《优化营商环境条例》第四十条", revokedBy: "officer-9", revokedAt: Date()
            )
            let revocation = try await harness.region.publish(revoked, to: .decisionRevoked, key: decided.caseNumber)
            #expect(await eventually { (try? await seal.inboxContains(revocation.id)) == true })
            try await harness.publish(decided)
            let issued = try await harness.licencesIssued(decided.caseNumber)
            #expect(issued.refused.map(\.matterCode) == ["130100-JS-004"])
            #expect(issued.refused.first?.legalBasis == "《优化营商环境条例》第四十条")
            #expect(issued.licences.count == 3)
        }
    }
}

extension SealClient {
    /// Whether seal's inbox recorded `eventID` (it was applied or recognised as a duplicate).
    func inboxContains(_ eventID: String) async throws -> Bool {
        try await sealDatabase { database in
            try await !database.query("SELECT 1 FROM inbox WHERE event_id = \(eventID)").isEmpty
        }
    }

    /// How many events seal wrote to its outbox under `key`.
    func outboxEvents(key: String) async throws -> Int {
        try await sealDatabase { database in
            try await database.query("SELECT count(*) FROM outbox WHERE event_key = \(key)").decode(Int.self)[0]
        }
    }

    func sealDatabase<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let database = try #require(harness.database.withLock { $0 })
        return try await body(database)
    }
}

/// A decision seal can never apply is set aside with its reason, and nothing of it is issued.
@Suite struct DeadLetterTests {
    @Test func aRejectionWithoutLegalBasisIsSetAsideAndIssuesNothing() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            var decided = SealHarness.constructionBundle(refusing: ["130100-JS-002"])
            decided.decisions[1].legalBasis = nil
            try await harness.publish(decided)
            let letters = try await harness.region.events(on: Topic.deadLetters(of: "seal"), key: decided.caseNumber, count: 1)
            #expect(letters.count == 1)
            #expect(try letters.first?.decode(BundleDecided.self).caseNumber == decided.caseNumber)
            #expect(harness.logLines.withLock { $0 }.contains { $0.contains("carries no legal basis") })
            let clerk = try await harness.token(.clerk)
            #expect(try await seal.get("/cases/\(decided.caseNumber)/licences", token: clerk).status == .notFound)
            #expect(try await seal.outboxEvents(key: decided.caseNumber) == 0)
        }
    }
}
