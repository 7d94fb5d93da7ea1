import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
@testable import Seal
import ServiceKit
import ServiceTestSupport
import Signing
import Synchronization
import TestSupport
import Testing
import TongbanClient

/// Anyone presents a licence; the bureau answers valid, revoked, suspended, forged or unknown.
@Suite struct VerificationTests {
    @Test func aLicenceVerifiesAndOneChangedCharacterMakesItForged() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = SealHarness.constructionBundle()
            try await harness.publish(decided)
            let number = try #require(try await harness.licencesIssued(decided.caseNumber).licences.first?.licenceNumber)

            // The holder fetches their licence; another applicant cannot.
            let holder = try await harness.region.token(Principal(subject: "applicant-42", role: .applicant, identity: "91130100MA0CXK4E5L"))
            let credential = try await seal.licence(number, token: holder)
            let stranger = try await harness.region.token(Principal(subject: "applicant-7", role: .applicant, identity: "91110000600037341L"))
            #expect(try await seal.get("/licences/\(number)", token: stranger).status == .notFound)
            #expect(try await seal.get("/licences/\(number)").status == .unauthorized)

            let valid = try await seal.verify(.object(credential))
            #expect(valid["verdict"]?.stringValue == "valid")
            #expect(valid["licence", "licenceNumber"]?.stringValue == number)
            #expect(valid["licence", "holderName"]?.stringValue == "石家庄市长安建筑工程有限公司")

            // One character of the holder's name.
            var renamed = credential
            var subject = try #require(credential["credentialSubject"]?.objectValue)
            var holderRecord = try #require(subject["holder"]?.objectValue)
            holderRecord["name"] = "石家庄市长安建筑工程有限公团"
            subject["holder"] = .object(holderRecord)
            renamed["credentialSubject"] = .object(subject)
            let forged = try await seal.verify(.object(renamed))
            #expect(forged["verdict"]?.stringValue == "forged")
            #expect(forged["reason"]?.stringValue?.contains("changed") == true)

            // One character of the validity.
            var stretched = credential
            stretched["validFrom"] = .string(try #require(credential["validFrom"]?.stringValue).replacingOccurrences(of: "20", with: "21", options: .anchored))
            #expect(try await seal.verify(.object(stretched))["verdict"]?.stringValue == "forged")

            // Sealed by someone else's key that claims to be the bureau's.
            let impostor = Curve25519.Signing.PrivateKey()
            let resealed = try EddsaJcs2022.sign(
                credential.removing("proof"),
                options: .init(verificationMethod: "\(SealHarness.publicURL)/issuers/130100#seal-forger", created: Date()),
                key: impostor
            )
            let impostorResult = try await seal.verify(.object(resealed))
            #expect(impostorResult["verdict"]?.stringValue == "forged")
            #expect(impostorResult["reason"]?.stringValue?.contains("seal-forger") == true)

            // No seal at all.
            #expect(try await seal.verify(.object(credential.removing("proof")))["verdict"]?.stringValue == "forged")

            // Another issuer's licence: not this bureau's to judge.
            var elsewhere = credential
            elsewhere["issuer"] = ["id": "https://seal.example.org/issuers/440300", "name": "深圳市政务服务数据管理局"]
            #expect(try await seal.verify(.object(elsewhere))["verdict"]?.stringValue == "unknown")

            // Not JSON, or not a credential: a problem, not a verdict.
            let garbage = try await seal.request(.post, "/verifications", body: Array("{\"a\":".utf8))
            #expect(garbage.status == .badRequest)
            let array = try await seal.request(.post, "/verifications", body: Array("[1,2]".utf8))
            #expect(array.status == .badRequest)
        }
    }

    @Test func aRevokedLicenceReadsRevokedInTheAPIAndInTheStatusList() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = SealHarness.constructionBundle()
            try await harness.publish(decided)
            let issued = try await harness.licencesIssued(decided.caseNumber)
            let revokedNumber = try #require(issued.licences.first { $0.matterCode == "130100-JS-003" }?.licenceNumber)
            let suspendedNumber = try #require(issued.licences.first { $0.matterCode == "130100-JS-001" }?.licenceNumber)
            let keptNumber = try #require(issued.licences.first { $0.matterCode == "130100-JS-004" }?.licenceNumber)
            let holder = try await harness.holderToken()
            let revokedLicence = try await seal.licence(revokedNumber, token: holder)
            let suspendedLicence = try await seal.licence(suspendedNumber, token: holder)
            let keptLicence = try await seal.licence(keptNumber, token: holder)

            // Approval revokes the permit (a commitment failed its check) and suspends another.
            _ = try await harness.region.publish(DecisionRevoked(
                caseNumber: decided.caseNumber, taskID: "task-3", matterCode: "130100-JS-003", department: "housing-construction",
                reason: "告知承诺核查不实", legalBasis: "《建筑工程施工许可管理办法》第十二条", revokedBy: "officer-3", revokedAt: Date()
            ), to: .decisionRevoked, key: decided.caseNumber)
            let until = Date().addingTimeInterval(86400 * 30)
            _ = try await harness.region.publish(DecisionRevoked(
                caseNumber: decided.caseNumber, taskID: "task-1", matterCode: "130100-JS-001", department: "natural-resources",
                reason: "整改期间暂扣", legalBasis: "《行政处罚法》第九条", revokedBy: "officer-1", revokedAt: Date(), suspendedUntil: until
            ), to: .decisionRevoked, key: decided.caseNumber)

            #expect(await eventually { (try? await seal.verify(.object(revokedLicence)))?["verdict"]?.stringValue == "revoked" })
            let revoked = try await seal.verify(.object(revokedLicence))
            #expect(revoked["revocation", "legalBasis"]?.stringValue == "《建筑工程施工许可管理办法》第十二条")
            #expect(revoked["reason"]?.stringValue?.contains("告知承诺核查不实") == true)
            #expect(await eventually { (try? await seal.verify(.object(suspendedLicence)))?["verdict"]?.stringValue == "suspended" })
            #expect(try await seal.verify(.object(keptLicence))["verdict"]?.stringValue == "valid")
            // The QR code's address says the same, as JSON (canonical, which clients read as any
            // answer) and as a page.
            let revokedSummary = try #require(issued.licences.first { $0.licenceNumber == revokedNumber })
            let answered = try await seal.verification(of: revokedSummary).decode(LicenceVerification.self)
            #expect(answered.verdict == .revoked)
            #expect(answered.revocation?.legalBasis == "《建筑工程施工许可管理办法》第十二条")
            #expect(answered.licence?.licenceNumber == revokedNumber)
            let page = try await seal.verification(of: revokedSummary, accept: "text/html,application/xhtml+xml")
            #expect(String(buffer: page.body).contains("证照已撤销"))

            // The status lists, as any verifier reads them: sealed by the bureau, bit set for the
            // revoked and the suspended licence, clear for the rest.
            let keys = try #require(try seal.json(try await seal.get("/keys")).objectValue)
            for (licence, purpose, expected) in [
                (revokedLicence, "revocation", true), (suspendedLicence, "revocation", false), (keptLicence, "revocation", false),
                (suspendedLicence, "suspension", true), (revokedLicence, "suspension", false), (keptLicence, "suspension", false),
            ] {
                let entry = try #require(licence["credentialStatus"]?.arrayValue?.first { $0["statusPurpose"]?.stringValue == purpose })
                let listURL = try #require(entry["statusListCredential"]?.stringValue)
                let index = try #require(entry["statusListIndex"]?.stringValue.flatMap { Int($0) })
                let response = try await seal.get(String(listURL.dropFirst(SealHarness.publicURL.count)))
                #expect(response.status == .ok)
                let list = try #require(try seal.json(response).objectValue)
                try EddsaJcs2022.verify(list) { method in try Self.publicKey(method, in: keys) }
                #expect(list["credentialSubject", "statusPurpose"]?.stringValue == purpose)
                let encodedList = try #require(list["credentialSubject", "encodedList"]?.stringValue)
                let bits = try #require(BitstringStatusList(encodedList: encodedList))
                #expect(bits.length >= 131_072)
                #expect(bits[index] == expected, "\(purpose) bit of \(licence["credentialSubject", "licenceNumber"]?.stringValue ?? "?")")
            }
            #expect(try await seal.get("/status-lists/revocation-99").status == .notFound)
        }
    }

    @Test func afterAKeyRotationBothOldAndNewLicencesVerify() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let holder = try await harness.holderToken()
            let before = SealHarness.constructionBundle()
            try await harness.publish(before)
            let oldNumber = try #require(try await harness.licencesIssued(before.caseNumber).licences.first?.licenceNumber)
            let oldLicence = try await seal.licence(oldNumber, token: holder)

            // Only an administrator rotates.
            let officer = try await harness.token(.officer, department: "natural-resources")
            #expect(try await seal.request(.post, "/keys/rotation", token: officer).status == .forbidden)
            let admin = try await harness.token(.admin)
            let rotated = try await seal.request(.post, "/keys/rotation", token: admin)
            #expect(rotated.status == .created)
            let newKeyID = try rotated.decode(SealKeyEntry.self).keyID

            let after = SealHarness.constructionBundle()
            try await harness.publish(after)
            let newNumber = try #require(try await harness.licencesIssued(after.caseNumber).licences.first?.licenceNumber)
            let newLicence = try await seal.licence(newNumber, token: holder)

            #expect(newLicence["proof", "verificationMethod"]?.stringValue == "\(SealHarness.publicURL)/issuers/130100#\(newKeyID)")
            #expect(oldLicence["proof", "verificationMethod"] != newLicence["proof", "verificationMethod"])
            #expect(try await seal.verify(.object(oldLicence))["verdict"]?.stringValue == "valid")
            #expect(try await seal.verify(.object(newLicence))["verdict"]?.stringValue == "valid")

            // Both keys stay published; the old one marked as no longer sealing.
            let keys = try #require(try seal.json(try await seal.get("/keys")).objectValue)
            let methods = try #require(keys["verificationMethod"]?.arrayValue)
            #expect(methods.count == 2)
            #expect(methods.filter { $0["revoked"] != nil }.count == 1)
            // Any verifier can check both with the controller document alone.
            for licence in [oldLicence, newLicence] {
                try EddsaJcs2022.verify(licence) { method in try Self.publicKey(method, in: keys) }
            }

            // An imported key seals from then on.
            let imported = Curve25519.Signing.PrivateKey()
            let body = try JSONValue(encoding: ["privateKeyMultibase": Multikey.encodeEd25519PrivateKey(imported.rawRepresentation)])
            let importedEntry = try await seal.request(.post, "/keys/rotation", token: admin, body: body.canonicalBytes)
            #expect(importedEntry.status == .created)
            let importedKey = try importedEntry.decode(SealKeyEntry.self)
            #expect(importedKey.publicKeyMultibase == Multikey.encodeEd25519PublicKey(imported.publicKey.rawRepresentation))
            #expect(importedKey.origin == "imported")
            let bad = try await seal.request(.post, "/keys/rotation", token: admin, body: Array(#"{"privateKeyMultibase":"z3u2notakey"}"#.utf8))
            #expect(bad.status == .badRequest)
            #expect(try await seal.request(.post, "/keys/rotation", token: admin, body: body.canonicalBytes).status == .conflict)
        }
    }

    /// The public key a controller document lists for `method`.
    static func publicKey(_ method: String, in document: JSONObject) throws -> Curve25519.Signing.PublicKey? {
        guard let entry = document["verificationMethod"]?.arrayValue?.first(where: { $0["id"]?.stringValue == method }),
              let multibase = entry["publicKeyMultibase"]?.stringValue, let raw = Multikey.decodeEd25519PublicKey(multibase)
        else { return nil }
        return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }
}
