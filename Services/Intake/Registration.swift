import Crypto
import Domain
import Foundation
import Messaging
import ServiceKit
import Signing
import TongbanClient

// The window's judgement on an application, without storage or HTTP: first whether the request
// is well formed (identities with their check digits, materials with their digests), then the
// completeness check (受理, 容缺受理 or refused with everything missing at once).

/// POST /cases: one application for a matter or a bundle.
struct ApplicationForm: Decodable, Sendable {
    /// A matter's catalogue code, or …
    var matter: String?
    /// … a bundle's (一件事).
    var bundle: String?
    var applicant: ApplicantForm
    /// Where the project or business is (项目/经营场所所在地); the receipt and the case give it back.
    var site: ApplicationRequest.Site?
    var materials: [MaterialUpload]
    /// 告知承诺: the commitment matters whose commitment the applicant signs.
    var commitments: [CommitmentForm]?
}

struct ApplicantForm: Decodable, Sendable {
    var name: String
    /// A person's 居民身份证号码 (GB 11643) …
    var residentIdentityNumber: String?
    /// … or an enterprise's 统一社会信用代码 (GB 32100).
    var unifiedSocialCreditCode: String?
    /// The applicant's online account, for a clerk registering at the window; an applicant's
    /// own token names theirs.
    var account: String?
}

struct MaterialUpload: Decodable, Sendable {
    var code: String
    var mediaType: String
    var contentBase64: String
    /// Lower-case hex SHA-256 of the content, as the applicant's software computed it.
    var sha256: String
    var fileName: String?
}

struct CommitmentForm: Decodable, Sendable {
    var matterCode: String
}

/// Every field in error, for one 400.
struct InvalidFields: Error {
    var errors: [FieldError]
}

/// A material that passed its checks: content decoded, digest verified.
struct VerifiedMaterial: Sendable {
    var code: String
    var name: String
    var mediaType: String
    var fileName: String?
    var content: Data
    var sha256: String
}

/// A well-formed application, ready for the completeness check.
struct Application: Sendable {
    var bundle: MatterCatalogue.Bundle?
    var matters: [MatterCatalogue.Matter]
    var applicant: ApplicantRecord
    var site: ApplicationRequest.Site?
    var materials: [VerifiedMaterial]
    var commitments: Set<String>
}

/// Checks of documents, shared by applications and supplements.
struct MaterialRules: Sendable {
    static let mediaTypes = ["application/pdf", "application/ofd", "image/jpeg", "image/png"]
    var maximumBytes: Int
    /// All of a case's materials together, registration and supplements: what a partner region
    /// may be sent for one case (跨省通办).
    var maximumCaseBytes: Int

    /// The error when `adding` would take a case holding `held` bytes past the case limit.
    func caseLimitError(held: Int, adding: [VerifiedMaterial]) -> FieldError? {
        let total = held + adding.reduce(0) { $0 + $1.content.count }
        guard total > maximumCaseBytes else { return nil }
        return FieldError(field: "materials", problem: "come to \(total) bytes with the case's earlier materials; a case may hold at most \(maximumCaseBytes)")
    }

    /// The material at `field`, decoded and verified, or the reasons it is refused.
    func verify(_ upload: MaterialUpload, name: String, field: String) -> Result<VerifiedMaterial, InvalidFields> {
        var errors: [FieldError] = []
        let mediaType = upload.mediaType.lowercased()
        if !Self.mediaTypes.contains(mediaType) {
            errors.append(FieldError(field: "\(field).mediaType", problem: "must be one of \(Self.mediaTypes.joined(separator: ", ")), not \(upload.mediaType)"))
        }
        let claimed = upload.sha256.lowercased()
        if claimed.count != 64 || !claimed.allSatisfy(\.isHexDigit) {
            errors.append(FieldError(field: "\(field).sha256", problem: "must be the 64 hexadecimal digits of the content's SHA-256"))
        }
        guard let content = Data(base64Encoded: upload.contentBase64) else {
            errors.append(FieldError(field: "\(field).contentBase64", problem: "is not base64"))
            return .failure(InvalidFields(errors: errors))
        }
        if content.isEmpty {
            errors.append(FieldError(field: "\(field).contentBase64", problem: "is empty"))
        } else if content.count > maximumBytes {
            errors.append(FieldError(field: "\(field).contentBase64", problem: "is \(content.count) bytes; a material may have at most \(maximumBytes)"))
        }
        let actual = SHA256.hash(data: content).hexadecimal
        if errors.isEmpty, actual != claimed {
            errors.append(FieldError(
                field: "\(field).sha256",
                problem: "does not match the content of \(upload.code) (\(name)): its SHA-256 is \(actual); the material was altered or damaged on the way, send it again"
            ))
        }
        guard errors.isEmpty else { return .failure(InvalidFields(errors: errors)) }
        return .success(VerifiedMaterial(code: upload.code, name: name, mediaType: mediaType, fileName: upload.fileName, content: content, sha256: actual))
    }
}

extension ApplicationForm {
    /// The application this form describes, or every field in error at once.
    func validated(catalogue: MatterCatalogue, caller: Principal, materialRules: MaterialRules, today: Date = Date()) -> Result<Application, InvalidFields> {
        var errors: [FieldError] = []

        var bundle: MatterCatalogue.Bundle?
        var matters: [MatterCatalogue.Matter] = []
        switch (matter, self.bundle) {
        case (let code?, nil):
            if let found = catalogue.matter(code) { matters = [found] } else {
                errors.append(FieldError(field: "matter", problem: "\(code) is not a matter of catalogue \(catalogue.version)"))
            }
        case (nil, let code?):
            if let found = catalogue.bundle(code) {
                bundle = found
                matters = found.matters.compactMap(catalogue.matter)
            } else {
                errors.append(FieldError(field: "bundle", problem: "\(code) is not a bundle of catalogue \(catalogue.version)"))
            }
        case (nil, nil):
            errors.append(FieldError(field: "matter", problem: "name a matter or a bundle"))
        case (_?, _?):
            errors.append(FieldError(field: "bundle", problem: "name either a matter or a bundle, not both"))
        }

        let applicant = validatedApplicant(caller: caller, today: today, errors: &errors)

        if let site {
            do {
                _ = try DivisionCode(site.divisionCode)
            } catch {
                errors.append(FieldError(field: "site.divisionCode", problem: "\(error) (GB/T 2260)"))
            }
            if site.address.trimmingCharacters(in: .whitespaces).isEmpty {
                errors.append(FieldError(field: "site.address", problem: "is empty"))
            }
        }

        let required = Set(matters.flatMap { $0.materials.map(\.code) })
        var seen: Set<String> = []
        var verified: [VerifiedMaterial] = []
        for (index, upload) in materials.enumerated() {
            let field = "materials[\(index)]"
            guard seen.insert(upload.code).inserted else {
                errors.append(FieldError(field: "\(field).code", problem: "\(upload.code) is handed in twice"))
                continue
            }
            guard let material = catalogue.material(upload.code), matters.isEmpty || required.contains(upload.code) else {
                errors.append(FieldError(field: "\(field).code", problem: "\(upload.code) is not a material the application needs"))
                continue
            }
            switch materialRules.verify(upload, name: material.name, field: field) {
            case .success(let material): verified.append(material)
            case .failure(let invalid): errors += invalid.errors
            }
        }

        if let error = materialRules.caseLimitError(held: 0, adding: verified) { errors.append(error) }

        var commitments: Set<String> = []
        for (index, commitment) in (self.commitments ?? []).enumerated() {
            let field = "commitments[\(index)].matterCode"
            guard let matter = matters.first(where: { $0.code == commitment.matterCode }) else {
                if !matters.isEmpty { errors.append(FieldError(field: field, problem: "\(commitment.matterCode) is not a matter of this application")) }
                continue
            }
            guard matter.mode == .commitment else {
                errors.append(FieldError(field: field, problem: "\(matter.code) is not decided on commitment (告知承诺)"))
                continue
            }
            if !commitments.insert(matter.code).inserted {
                errors.append(FieldError(field: field, problem: "\(matter.code) is committed to twice"))
            }
        }

        guard errors.isEmpty, let applicant else { return .failure(InvalidFields(errors: errors)) }
        return .success(Application(bundle: bundle, matters: matters, applicant: applicant, site: site, materials: verified, commitments: commitments))
    }

    private func validatedApplicant(caller: Principal, today: Date, errors: inout [FieldError]) -> ApplicantRecord? {
        let name = applicant.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { errors.append(FieldError(field: "applicant.name", problem: "is empty")) }
        var record: (ApplicantRecord.Kind, String)?
        switch (applicant.residentIdentityNumber, applicant.unifiedSocialCreditCode) {
        case (let number?, nil):
            do {
                record = (.person, try ResidentIdentityNumber(number, today: today).value)
            } catch {
                errors.append(FieldError(field: "applicant.residentIdentityNumber", problem: "\(error) (GB 11643)"))
            }
        case (nil, let code?):
            do {
                record = (.enterprise, try UnifiedSocialCreditCode(code).value)
            } catch {
                errors.append(FieldError(field: "applicant.unifiedSocialCreditCode", problem: "\(error) (GB 32100)"))
            }
        case (nil, nil):
            errors.append(FieldError(field: "applicant", problem: "give a person's residentIdentityNumber or an enterprise's unifiedSocialCreditCode"))
        case (_?, _?):
            errors.append(FieldError(field: "applicant", problem: "give residentIdentityNumber (a person) or unifiedSocialCreditCode (an enterprise), not both"))
        }
        // An applicant applies for themselves: in the name of the account's verified identity, from
        // that account. A clerk may note the applicant's online account; it grants nothing, since
        // applicants reach cases by their verified identity. No account noted is the empty one.
        let account: String
        switch caller.role {
        case .applicant:
            if let given = applicant.account, given != caller.subject {
                errors.append(FieldError(field: "applicant.account", problem: "an applicant applies only for their own account (\(caller.subject))"))
            }
            if let (kind, identifier) = record, identifier != caller.identity {
                let field = kind == .person ? "applicant.residentIdentityNumber" : "applicant.unifiedSocialCreditCode"
                errors.append(FieldError(field: field, problem: "an applicant applies only in the name of their account's verified identity"))
            }
            account = caller.subject
        default:
            account = applicant.account ?? ""
        }
        if let given = applicant.account, given.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "applicant.account", problem: "is empty"))
        }
        guard let (kind, identifier) = record, !name.isEmpty else { return nil }
        return ApplicantRecord(kind: kind, name: name, identifier: identifier, account: account)
    }
}

/// The completeness check at the window.
enum RegistrationOutcome: Sendable, Equatable {
    /// 受理: everything is there.
    case accepted
    /// 容缺受理: accepted; these are owed by their due day.
    case acceptedWithDeficiency([CaseSubmitted.Deficiency])
    /// 不予受理: everything that is missing, at once.
    case refused([RegistrationRefusal.MissingItem])
}

extension Application {
    /// Checks every matter's materials against what was handed in; a signed commitment stands in
    /// for the materials it replaces. Owed materials are due `deficiencyLimitDays` working days
    /// after the acceptance day.
    func registrationOutcome(catalogue: MatterCatalogue, calendar: WorkingCalendar, acceptedAt: Date) -> RegistrationOutcome {
        let handedIn = Set(materials.map(\.code))
        let dueBy = calendar.workingDay(catalogue.deficiencyLimitDays, after: calendar.day(of: acceptedAt)).description
        var missing: [RegistrationRefusal.MissingItem] = []
        var owed: [CaseSubmitted.Deficiency] = []
        for matter in matters {
            let committed = commitments.contains(matter.code)
            if matter.mode == .commitment, !committed {
                missing.append(RegistrationRefusal.MissingItem(kind: .commitment, matterCode: matter.code, matterName: matter.name, code: matter.code, name: "告知承诺书（\(matter.name)）"))
            }
            let replaced = committed ? Set(matter.commitment?.replaces ?? []) : []
            for requirement in matter.materials where !handedIn.contains(requirement.code) && !replaced.contains(requirement.code) {
                let name = catalogue.material(requirement.code)?.name ?? requirement.code
                switch requirement.requirement {
                case .mandatory:
                    missing.append(RegistrationRefusal.MissingItem(kind: .material, matterCode: matter.code, matterName: matter.name, code: requirement.code, name: name))
                case .tolerable:
                    owed.append(CaseSubmitted.Deficiency(matterCode: matter.code, materialCode: requirement.code, name: name, dueBy: dueBy))
                }
            }
        }
        if !missing.isEmpty { return .refused(missing) }
        return owed.isEmpty ? .accepted : .acceptedWithDeficiency(owed)
    }

    /// The matters as the events carry them, copied from the catalogue.
    func eventMatters(catalogue: MatterCatalogue) -> [CaseSubmitted.Matter] {
        matters.map { matter in
            CaseSubmitted.Matter(
                code: matter.code,
                name: matter.name,
                department: matter.department,
                departmentName: catalogue.department(of: matter)?.name ?? matter.department,
                region: catalogue.region(of: matter),
                legalLimitDays: matter.legalLimitDays,
                promisedLimitDays: matter.promisedLimitDays,
                mode: ApprovalMode(rawValue: matter.mode.rawValue) ?? .standard,
                stepsBeforeDecision: matter.stepsBeforeDecision ?? [],
                verificationLimitDays: matter.verificationLimitDays,
                licence: matter.licence.map { LicenceKind(type: $0.type, name: $0.name, validityYears: $0.validityYears) },
                materials: matter.materials.map(\.code)
            )
        }
    }

    func eventCommitments() -> [CaseSubmitted.Commitment] {
        matters.compactMap { matter in
            guard commitments.contains(matter.code), let commitment = matter.commitment else { return nil }
            return CaseSubmitted.Commitment(matterCode: matter.code, statement: commitment.statement, replacesMaterials: commitment.replaces)
        }
    }
}
