import Foundation
import Messaging
import Signing

/// Where seal's public things live, all under its public URL: the bureau as issuer (whose
/// controller document lists the seal keys), licences, their pages and the status lists.
struct SealAddresses: Sendable {
    var publicURL: String
    var region: String

    /// The approval bureau as issuer; the URL serves its controller document.
    var issuerID: String { "\(publicURL)/issuers/\(region)" }
    func verificationMethod(keyID: String) -> String { "\(issuerID)#\(keyID)" }
    func licence(_ number: String) -> String { "\(publicURL)/licences/\(number)" }
    /// Where the QR code leads: by the licence's unguessable reference, never by its number.
    func verification(reference: String) -> String { "\(publicURL)/verifications/\(reference)" }
    func statusList(_ id: String) -> String { "\(publicURL)/status-lists/\(id)" }

    /// The key id a verification method of this bureau names; nil for anyone else's.
    func keyID(inVerificationMethod method: String) -> String? {
        let prefix = issuerID + "#"
        guard method.hasPrefix(prefix), method.count > prefix.count else { return nil }
        return String(method.dropFirst(prefix.count))
    }
}

/// The two Bitstring Status Lists of a generation; a licence holds the same index in both.
enum StatusPurpose: String, Sendable, CaseIterable, Codable {
    /// 撤销/吊销: final.
    case revocation
    /// 暂扣: until a set time.
    case suspension

    func listID(generation: Int) -> String { "\(rawValue)-\(generation)" }

    /// `revocation-3` → (.revocation, 3).
    static func parse(listID: String) -> (StatusPurpose, Int)? {
        guard let dash = listID.lastIndex(of: "-"), let purpose = StatusPurpose(rawValue: String(listID[..<dash])),
              let generation = Int(listID[listID.index(after: dash)...]), generation > 0
        else { return nil }
        return (purpose, generation)
    }
}

/// One licence as the bureau issues it, before the seal goes on.
struct LicenceDraft: Sendable {
    var number: String
    var reference: String
    var caseNumber: String
    var decision: MatterDecision
    var kind: LicenceKind
    var applicant: ApplicantRecord
    var issuer: (id: String, name: String)
    var validFrom: Date
    var validUntil: Date?
    var statusGeneration: Int
    var statusIndex: Int

    /// A W3C Verifiable Credential 2.0: issuer the bureau, subject the holder with the matter and
    /// licence number, validity, and one Bitstring Status List entry per purpose.
    func credential(addresses: SealAddresses) -> JSONObject {
        var subject: JSONObject = [
            "licenceNumber": .string(number),
            "licence": ["type": .string(kind.type), "name": .string(kind.name)],
            "holder": [
                "type": .string(applicant.kind == .person ? "Person" : "Organization"),
                "name": .string(applicant.name),
                "identifier": .string(applicant.identifier),
            ],
            "matter": [
                "code": .string(decision.matterCode),
                "name": .string(decision.matterName),
                "department": .string(decision.department),
                "departmentName": .string(decision.departmentName),
            ],
            "caseNumber": .string(caseNumber),
        ]
        subject["approvalMode"] = .string(decision.mode.rawValue)
        var credential: JSONObject = [
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": .string(addresses.licence(number)),
            "type": ["VerifiableCredential", "LicenceCredential"],
            "name": .string(kind.name),
            "issuer": ["id": .string(issuer.id), "name": .string(issuer.name)],
            "validFrom": .string(JSONValue.formatDateTime(validFrom)),
        ]
        if let validUntil { credential["validUntil"] = .string(JSONValue.formatDateTime(validUntil)) }
        credential["credentialSubject"] = .object(subject)
        credential["credentialStatus"] = .array(StatusPurpose.allCases.map { purpose in
            let list = addresses.statusList(purpose.listID(generation: statusGeneration))
            return [
                "id": .string("\(list)#\(statusIndex)"),
                "type": "BitstringStatusListEntry",
                "statusPurpose": .string(purpose.rawValue),
                "statusListIndex": .string(String(statusIndex)),
                "statusListCredential": .string(list),
            ]
        })
        return credential
    }

    /// The licence's end of validity: the same instant `years` later, in China Standard Time's calendar.
    static func validUntil(from start: Date, years: Int?) -> Date? {
        guard let years else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = chinaStandardTime
        return calendar.date(byAdding: .year, value: years, to: start)
    }

    func summary(addresses: SealAddresses, region: String) -> LicenceSummary {
        LicenceSummary(
            licenceNumber: number,
            matterCode: decision.matterCode,
            kind: kind,
            holderName: applicant.name,
            issuingRegion: region,
            validFrom: validFrom,
            validUntil: validUntil,
            verificationURL: addresses.verification(reference: reference)
        )
    }
}

let chinaStandardTime = TimeZone(identifier: "Asia/Shanghai")!

/// The reference a licence's QR code and public verification carry: 128 random bits, so that
/// nobody reaches a licence they were not shown. Licence numbers are sequential and printed; a
/// walk over them must find nothing.
enum LicenceReference {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func isPlausible(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Licence numbers: the region, the year of issue and a sequence, e.g. `130100-2026-000042`.
enum LicenceNumber {
    static func make(region: String, year: Int, sequence: Int) -> String {
        "\(region)-\(year)-\(String(format: "%06d", sequence))"
    }

    static func year(of date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = chinaStandardTime
        return calendar.component(.year, from: date)
    }

    /// Only characters a licence number can have, so a path value is never something else.
    static func isPlausible(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 40 && text.allSatisfy { $0.isASCII && ($0.isNumber || $0.isLetter || $0 == "-") }
    }
}
