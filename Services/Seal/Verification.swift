import Domain
import Crypto
import Foundation
import Messaging
import Signing
import TongbanClient

/// What checking a presented licence finds (核验结果): Shared/Client's, which clients read too.
typealias Verdict = LicenceVerification.Verdict

/// Checks presented licences against the bureau's seal keys and register.
struct LicenceVerifier: Sendable {
    let workflow: SealWorkflow
    let addresses: SealAddresses
    let bureauName: String

    func verify(_ presented: JSONObject, at now: Date = Date()) async throws -> LicenceVerification {
        func result(_ verdict: Verdict, _ reason: String, keyID: String? = nil) -> LicenceVerification {
            LicenceVerification(verdict: verdict, reason: reason, checkedAt: now, keyID: keyID)
        }
        let issuer = presented["issuer"].flatMap { $0.stringValue ?? $0.objectValue?["id"]?.stringValue }
        guard issuer == addresses.issuerID else {
            return result(.unknown, "Not issued by \(bureauName): the issuer is \(issuer.map { "\($0)" } ?? "missing").")
        }
        // The seal: the proof must verify with one of the bureau's keys, current or retired.
        var keys: [String: Curve25519.Signing.PublicKey] = [:]
        let proof: EddsaJcs2022.Proof
        do {
            let method = try EddsaJcs2022.proof(of: presented).verificationMethod
            if let keyID = addresses.keyID(inVerificationMethod: method), let key = try await workflow.publicKey(id: keyID) {
                keys[method] = key
            }
            proof = try EddsaJcs2022.verify(presented) { keys[$0] }
        } catch let failure as EddsaJcs2022.Failure {
            switch failure {
            case .unknownVerificationMethod(let method):
                return result(.forged, "Sealed with \(method), which is not a seal key of \(bureauName).")
            case .signatureMismatch:
                return result(.forged, "The seal does not match the content: the licence was changed after it was sealed.")
            default:
                return result(.forged, "The seal is missing or unreadable: \(failure).")
            }
        }
        let keyID = addresses.keyID(inVerificationMethod: proof.verificationMethod)
        guard proof.proofPurpose == "assertionMethod" else {
            return result(.forged, "The proof is for \(proof.proofPurpose), not for issuing a licence.", keyID: keyID)
        }
        guard let number = presented["credentialSubject", "licenceNumber"]?.stringValue,
              let issued = try await workflow.licence(number: number, at: now)
        else {
            return result(.unknown, "The seal holds, but the register has no such licence.", keyID: keyID)
        }
        // Genuine seal, but is it this very licence as the register holds it?
        guard JSONValue.object(issued.credential) == .object(presented) else {
            return result(.forged, "The licence differs from the register's copy of \(number).", keyID: keyID)
        }
        return publicResult(standingResult(of: issued, keyID: keyID, at: now), of: issued)
    }

    /// What anyone may learn of a licence: its verdict and the minimum a verifier needs, a natural
    /// person's name masked (the holder shows the licence; the answer confirms it, no more).
    func publicResult(_ result: LicenceVerification, of issued: IssuedLicence) -> LicenceVerification {
        var result = result
        if issued.heldByPerson, let name = result.licence?.holderName { result.licence?.holderName = Masked.personName(name) }
        return result
    }

    /// The verdict on a licence of the register as issued (its verification page and QR code).
    func standingResult(of issued: IssuedLicence, keyID: String?, at now: Date = Date()) -> LicenceVerification {
        let summary = issued.summary
        var verdict = Verdict.valid
        var reason = "Sealed by \(bureauName) and in force."
        if let revocation = issued.standing.revocation {
            verdict = .revoked
            reason = "Revoked: \(revocation.reason) (\(revocation.legalBasis))."
        } else if let suspension = issued.standing.suspension {
            verdict = .suspended
            reason = "Suspended until \(JSONValue.formatDateTime(suspension.suspendedUntil)): \(suspension.reason) (\(suspension.legalBasis))."
        } else if let until = summary.validUntil, until <= now {
            verdict = .expired
            reason = "Expired on \(JSONValue.formatDateTime(until))."
        }
        return LicenceVerification(
            verdict: verdict,
            reason: reason,
            checkedAt: now,
            licence: .init(
                licenceNumber: issued.number,
                name: summary.kind.name,
                holderName: summary.holderName,
                matterName: issued.credential["credentialSubject", "matter", "name"]?.stringValue ?? summary.matterCode,
                issuer: bureauName,
                validFrom: summary.validFrom,
                validUntil: summary.validUntil
            ),
            keyID: keyID,
            // Each only with its verdict: a revoked licence's suspension is beside the point.
            revocation: verdict == .revoked ? issued.standing.revocation : nil,
            suspension: verdict == .suspended ? issued.standing.suspension : nil
        )
    }
}
