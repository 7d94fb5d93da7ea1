import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
@testable import Seal
import ServiceKit
import ServiceTestSupport
import Signing
import TestSupport
import Testing
import TongbanClient

/// Who reads a licence (个人信息保护法): whole, with the identity number, its holder and the officers
/// of the department that decided it; masked, the clerks of the region and supervisors; nobody
/// else, to whom it does not exist. Anyone else reaches a licence only by the unguessable
/// reference its QR code carries, and learns the minimum.
@Suite struct LicenceReachTests {
    static let person = ApplicantRecord(kind: .person, name: "王秀英", identifier: "130102199003074578", account: "applicant-9")

    /// The construction bundle, applied for by a person: three licences of natural-resources, one of housing-construction.
    static func personsBundle() -> BundleDecided {
        var decided = SealHarness.constructionBundle()
        decided.applicant = person
        return decided
    }

    @Test func eachCallerReadsWhatTheirTaskNeedsAndNothingElse() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = Self.personsBundle()
            try await harness.publish(decided)
            let issued = try await harness.licencesIssued(decided.caseNumber)
            let planning = try #require(issued.licences.first { $0.matterCode == "130100-JS-001" }).licenceNumber
            let permit = try #require(issued.licences.first { $0.matterCode == "130100-JS-003" }).licenceNumber
            let list = "/cases/\(decided.caseNumber)/licences"
            func token(_ principal: Principal) async throws -> String { try await harness.region.token(principal) }

            let holder = try await token(Principal(subject: "applicant-9", role: .applicant, identity: "130102199003074578"))
            let planner = try await harness.token(.officer, department: "natural-resources")
            let plannerElsewhere = try await token(Principal(subject: "officer-bj", role: .officer, region: "110100", department: "natural-resources"))
            let clerk = try await harness.token(.clerk)
            let clerkElsewhere = try await token(Principal(subject: "clerk-bj", role: .clerk, region: "110100"))
            let supervisor = try await harness.token(.supervisor)
            let admin = try await harness.token(.admin)
            let stranger = try await token(Principal(subject: "applicant-7", role: .applicant, identity: "91110000600037341L"))

            // The sealed credential, whose seal covers the identity number: holder and deciding officers only.
            let credential = try seal.json(try await seal.get("/licences/\(planning)", token: holder))
            #expect(credential["credentialSubject", "holder", "identifier"]?.stringValue == Self.person.identifier)
            #expect(try await seal.get("/licences/\(planning)", token: planner).status == .ok)
            #expect(try await seal.get("/licences/\(permit)", token: planner).status == .notFound, "another department's licence")
            #expect(try await seal.get("/licences/\(planning)", token: plannerElsewhere).status == .forbidden, "the same department of another region acts in its own region's seal")
            #expect(try await seal.get("/licences/\(planning)", token: stranger).status == .notFound)
            for role in [clerk, supervisor, admin] {
                #expect(try await seal.get("/licences/\(planning)", token: role).status == .forbidden)
            }
            #expect(try await seal.get("/licences/\(planning)").status == .unauthorized)

            // The page: whole for the holder and the deciding officer, masked for the clerk and supervisor.
            for (caller, whole) in [(holder, true), (planner, true), (clerk, false), (supervisor, false)] {
                let page = try await seal.get("/licences/\(planning)/page", token: caller)
                #expect(page.status == .ok)
                let html = String(buffer: page.body)
                #expect(html.contains(Self.person.identifier) == whole)
                #expect(html.contains("1301**********4578") == !whole)
            }
            #expect(try await seal.get("/licences/\(planning)/page", token: stranger).status == .notFound)
            for caller in [plannerElsewhere, clerkElsewhere, admin] {
                #expect(try await seal.get("/licences/\(planning)/page", token: caller).status == .forbidden)
            }

            // The case's licences: all for holder, clerk and supervisor; the officer's department's own.
            for caller in [holder, clerk, supervisor] {
                #expect(try await seal.get(list, token: caller).decode(CaseLicences.self).licences.count == 4)
            }
            let plannersOwn = try await seal.get(list, token: planner).decode(CaseLicences.self)
            #expect(Set(plannersOwn.licences.map(\.summary.matterCode)) == ["130100-JS-001", "130100-JS-002", "130100-JS-004"])
            #expect(try await seal.get(list, token: stranger).status == .notFound)
            for caller in [plannerElsewhere, clerkElsewhere, admin] {
                #expect(try await seal.get(list, token: caller).status == .forbidden)
            }

            // Nothing an outsider could not reach answers differently from what does not exist.
            let missing = try await seal.get("/licences/130100-2026-999999", token: stranger)
            let withheld = try await seal.get("/licences/\(planning)", token: stranger)
            #expect(try seal.json(missing)["detail"] == seal.json(withheld)["detail"])
        }
    }

    @Test func theQRCodesReferenceAnswersTheMinimumAndTheNumberAloneNothing() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = Self.personsBundle()
            try await harness.publish(decided)
            let licence = try #require(try await harness.licencesIssued(decided.caseNumber).licences.first)

            let response = try await seal.verification(of: licence)
            #expect(response.status == .ok)
            let answer = try response.decode(LicenceVerification.self)
            #expect(answer.verdict == .valid)
            #expect(answer.licence?.holderName == "王**")
            #expect(answer.licence?.matterName == "建设用地规划许可")
            #expect(answer.licence?.issuer == SealHarness.bureauName)
            let body = String(buffer: response.body)
            #expect(!body.contains("王秀英") && !body.contains(Self.person.identifier) && !body.contains(decided.caseNumber))
            let page = String(buffer: try await seal.verification(of: licence, accept: "text/html").body)
            #expect(page.contains("王**") && !page.contains("王秀英"))

            // A presented licence is answered the same way, whoever presents it.
            let credential = try await seal.licence(licence.licenceNumber, token: try await harness.region.token(Principal(subject: "applicant-9", role: .applicant, identity: "130102199003074578")))
            #expect(try await seal.verify(.object(credential))["licence", "holderName"]?.stringValue == "王**")

            // By number, nothing is public any more: the old addresses are gone and the page wants a token.
            #expect(try await seal.get("/licences/\(licence.licenceNumber)/verification").status == .notFound)
            #expect(try await seal.get("/licences/\(licence.licenceNumber)/page").status == .unauthorized)
            #expect(try await seal.get("/verifications/\(licence.licenceNumber)").status == .notFound)
        }
    }

    @Test func aClientGuessingReferencesIsSlowedDown() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = Self.personsBundle()
            try await harness.publish(decided)
            let licence = try #require(try await harness.licencesIssued(decided.caseNumber).licences.first)
            let limit = MissLimiter().allowed
            for _ in 0..<limit {
                let guess = LicenceReference.make()
                let miss = try await seal.get("/verifications/\(guess)")
                #expect(miss.status == .notFound)
                #expect(miss.headers[.contentType] == "application/problem+json")
            }
            // Past the limit even a good reference waits, and the answer says how long.
            let slowed = try await seal.verification(of: licence)
            #expect(slowed.status == .tooManyRequests)
            #expect(slowed.headers[.retryAfter].flatMap { Int($0) }.map { (1...60).contains($0) } == true)
            #expect(try seal.json(slowed)["type"]?.stringValue == "urn:tongban:problem:too-many-requests")
        }
    }

    @Test func theLimiterCountsMissesPerClientWithinItsWindow() {
        let limiter = MissLimiter(allowed: 3, window: .seconds(60))
        let start = ContinuousClock.now
        for second in 0..<3 { limiter.recordMiss(by: "10.0.0.1", now: start + .seconds(second)) }
        #expect(limiter.wait(for: "10.0.0.1", now: start + .seconds(3)) == .seconds(57))
        #expect(limiter.wait(for: "10.0.0.2", now: start + .seconds(3)) == nil, "another client is not slowed")
        #expect(limiter.wait(for: "10.0.0.1", now: start + .seconds(60)) == nil, "the oldest miss has aged out")
    }
}
