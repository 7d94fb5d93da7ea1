import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Messaging
import NIOCore
import ServiceKit
import Signing
import TongbanClient

/// Seal's HTTP API: licences and their pages for those who may read them (`Reach`); verification
/// by reference, keys and status lists for anyone; key rotation for administrators.
struct SealController: Sendable {
    let workflow: SealWorkflow
    let verifier: LicenceVerifier
    let addresses: SealAddresses
    let bureauName: String
    let statusListTimeToLive: Duration

    /// Guessed references answer 429 after a while (see `MissLimiter`).
    let misses = MissLimiter()

    /// The reads of personal data that the access log records for staff.
    static let personalData: Set<String> = ["GET /licences/{number}", "GET /licences/{number}/page", "GET /cases/{caseNumber}/licences"]

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("licences/{number}", use: licence)
        router.get("licences/{number}/page", use: page)
        router.get("cases/{caseNumber}/licences", use: caseLicences)
        router.get("verifications/{reference}", use: verification)
        router.post("verifications", use: verify)
        router.get("keys", use: controllerDocument)
        router.get("issuers/{region}", use: issuer)
        router.post("keys/rotation", use: rotate)
        router.get("status-lists/{id}", use: statusList)
    }

    // MARK: Licences

    /// Who may read a licence of this register (个人信息保护法: only those whose task needs it). Whole,
    /// with the holder's identity number: the holder, and the officers of the department that
    /// decided it. With the identity number masked: the clerks of this region and supervisors.
    /// Nobody else; to them the licence does not exist (404).
    enum Reach {
        case whole
        case masked
    }

    func reach(of principal: Principal, to issued: IssuedLicence) -> Reach? {
        if issued.holderIdentifier.map(principal.isApplicant(identifiedBy:)) == true || principal.isOfficer(of: issued.department, in: addresses.region) { return .whole }
        if principal.isClerk(in: addresses.region) || principal.role == .supervisor { return .masked }
        return nil
    }

    /// The licence as a Verifiable Credential, exactly as sealed: to those who may read it whole
    /// (the seal covers the identity number, so there is no masked credential).
    @Sendable func licence(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal(.applicant, .officer)
        let issued = try await numberedLicence(context)
        guard reach(of: principal, to: issued) == .whole else { throw Self.noLicence }
        return Self.json(.object(issued.credential), contentType: "application/vc+ld+json")
    }

    /// The certificate page (电子证照) to print or show, for everyone who may read the licence; the
    /// identity number masked for all but the holder and the deciding officers.
    @Sendable func page(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal(.applicant, .clerk, .officer, .supervisor)
        let issued = try await numberedLicence(context)
        guard let reach = reach(of: principal, to: issued) else { throw Self.noLicence }
        let page = LicencePage(
            licence: issued,
            verification: verifier.standingResult(of: issued, keyID: nil),
            bureauName: bureauName,
            verificationURL: issued.summary.verificationURL,
            identifierWhole: reach == .whole
        )
        return Self.html(try page.html())
    }

    /// A case's licences: to their holder, the clerks of this region and supervisors, all of them;
    /// to an officer, those their department decided.
    @Sendable func caseLicences(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<CaseLicences> {
        let principal = try context.requirePrincipal(.applicant, .clerk, .officer, .supervisor)
        let caseNumber = try context.parameters.require("caseNumber")
        // An officer's reach is whole or none: only their own department's licences remain.
        let readable = try await workflow.licences(caseNumber: caseNumber).filter { reach(of: principal, to: $0) != nil }
        guard !readable.isEmpty else { throw Problem.notFound("No licences of case \(caseNumber).") }
        return Encoded(CaseLicences(caseNumber: caseNumber, licences: readable.map { issued in
            CaseLicences.Entry(summary: issued.summary, standing: verifier.standingResult(of: issued, keyID: nil).verdict)
        }))
    }

    /// The register's word on a licence, reached by the reference its QR code carries: HTML for a
    /// browser, else JSON. The minimum a verifier needs, a person's name masked. A client that
    /// keeps missing is slowed down (429).
    @Sendable func verification(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let client = context.clientAddress ?? "unknown"
        if let wait = misses.wait(for: client) {
            throw Problem.tooManyRequests("This client asked for too many licence references the register does not have.", retryAfter: wait)
        }
        let reference = try context.parameters.require("reference")
        guard LicenceReference.isPlausible(reference), let issued = try await workflow.licence(reference: reference) else {
            misses.recordMiss(by: client)
            if Self.prefersHTML(request) {
                let unknown = LicenceVerification(verdict: .unknown, reason: "The register has no licence with this reference.", checkedAt: Date())
                var response = Self.html(VerificationPage(result: unknown).html())
                response.status = .notFound
                return response
            }
            throw Problem.notFound("The register has no licence with this reference.")
        }
        let keyID = issued.credential["proof", "verificationMethod"]?.stringValue.flatMap(addresses.keyID(inVerificationMethod:))
        let result = verifier.publicResult(verifier.standingResult(of: issued, keyID: keyID), of: issued)
        if Self.prefersHTML(request) { return Self.html(VerificationPage(result: result).html()) }
        return try Response.json(result)
    }

    /// POST /verifications: anyone presents a licence and learns whether it holds.
    @Sendable func verify(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<LicenceVerification> {
        if let type = request.headers[.contentType]?.lowercased(), !(type.hasPrefix("application/json") || type.contains("+json")) {
            throw Problem(type: .unsupportedMediaType, status: .unsupportedMediaType, title: "Unsupported media type", detail: "Send the licence as application/json.")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        if let problem = JSONBodyText.problem(in: body.readableBytesView) { throw problem }
        let presented: JSONValue
        do {
            presented = try JSONValue(parsing: Array(body.readableBytesView))
        } catch {
            throw Problem.malformedRequest("The body is not a JSON document a seal can be checked on: \(error).")
        }
        guard let credential = presented.objectValue else {
            throw Problem.validation([FieldError(field: "(body)", problem: "must be a licence credential (a JSON object)")])
        }
        return Encoded(try await verifier.verify(credential))
    }

    static let noLicence = Problem.notFound("No such licence in the register.")

    /// The licence the path's `{number}` names; what is no licence number names nothing (404).
    func numberedLicence(_ context: TongbanRequestContext) async throws -> IssuedLicence {
        let number = try context.parameters.require("number")
        guard LicenceNumber.isPlausible(number), let issued = try await workflow.licence(number: number) else { throw Self.noLicence }
        return issued
    }

    // MARK: Keys

    /// The bureau's controller document (W3C Controlled Identifiers): every seal key as a Multikey,
    /// retired ones included, so that older licences still verify.
    @Sendable func controllerDocument(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let keys = try await workflow.keys()
        let methods: [JSONValue] = keys.map { key in
            var method: JSONObject = [
                "id": .string(addresses.verificationMethod(keyID: key.keyID)),
                "type": "Multikey",
                "controller": .string(addresses.issuerID),
                "publicKeyMultibase": .string(key.publicKeyMultibase),
                "created": .string(JSONValue.formatDateTime(key.createdAt)),
            ]
            if let retired = key.retiredAt { method["revoked"] = .string(JSONValue.formatDateTime(retired)) }
            return .object(method)
        }
        let document: JSONObject = [
            "@context": ["https://www.w3.org/ns/cid/v1"],
            "id": .string(addresses.issuerID),
            "name": .string(bureauName),
            "verificationMethod": .array(methods),
            "assertionMethod": .array(keys.map { .string(addresses.verificationMethod(keyID: $0.keyID)) }),
        ]
        return Self.json(.object(document), contentType: "application/json")
    }

    @Sendable func issuer(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        guard try context.parameters.require("region") == addresses.region else {
            throw Problem.notFound("This seal serves the bureau of \(addresses.region) only.")
        }
        return try await controllerDocument(request, context: context)
    }

    /// Administrators rotate the seal key, generating a new one or importing one (the body's
    /// `privateKeyMultibase`, an Ed25519 private key as a Multikey `z3u2…`); the answer is the new
    /// key's public side only.
    @Sendable func rotate(_ request: Request, context: TongbanRequestContext) async throws -> EditedResponse<Encoded<SealKeyEntry>> {
        _ = try context.requirePrincipal(.admin)
        var imported: Curve25519.Signing.PrivateKey?
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        if body.readableBytes > 0 {
            if let problem = JSONBodyText.problem(in: body.readableBytesView) { throw problem }
            guard let rotation = try? JSONValue(parsing: Array(body.readableBytesView)).objectValue else {
                throw Problem.malformedRequest("The body, when given, is a JSON object.")
            }
            if let value = rotation["privateKeyMultibase"] {
                // The value is a secret: the problem names the field, never echoes it.
                guard let text = value.stringValue, let raw = Multikey.decodeEd25519PrivateKey(text),
                      let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
                else {
                    throw Problem.validation([FieldError(field: "privateKeyMultibase", problem: "must be an Ed25519 private key as a Multikey (z3u2…)")])
                }
                imported = key
            }
        }
        do {
            let key = try await workflow.rotateKey(importing: imported)
            return EditedResponse(status: .created, response: Encoded(SealKeyEntry(
                keyID: key.keyID,
                verificationMethod: addresses.verificationMethod(keyID: key.keyID),
                publicKeyMultibase: key.publicKeyMultibase,
                origin: key.origin,
                createdAt: key.createdAt
            )))
        } catch let failure as SealKeyImportError {
            throw Problem.conflict(failure.description)
        }
    }

    // MARK: Status lists

    /// A Bitstring Status List credential, sealed like the licences, as it stands now.
    @Sendable func statusList(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let now = Date()
        guard let (purpose, generation) = StatusPurpose.parse(listID: id),
              let list = try await workflow.statusList(purpose, generation: generation, at: now)
        else { throw Problem.notFound("No status list \(id).") }
        let url = addresses.statusList(id)
        let credential: JSONObject = [
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": .string(url),
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": ["id": .string(addresses.issuerID), "name": .string(bureauName)],
            "validFrom": .string(JSONValue.formatDateTime(now)),
            "validUntil": .string(JSONValue.formatDateTime(now.addingTimeInterval(Double(statusListTimeToLive.components.seconds)))),
            "credentialSubject": [
                "id": .string("\(url)#list"),
                "type": "BitstringStatusList",
                "statusPurpose": .string(purpose.rawValue),
                "encodedList": .string(list.encodedList),
                "ttl": .number(Double(statusListTimeToLive.components.seconds * 1000)),
            ],
        ]
        let sealed = try await workflow.seal(credential, at: now)
        var response = Self.json(.object(sealed), contentType: "application/vc+ld+json")
        response.headers[.cacheControl] = "public, max-age=\(statusListTimeToLive.components.seconds)"
        return response
    }

    // MARK: Rendering

    static func json(_ value: JSONValue, contentType: String) -> Response {
        Response.body(Data(value.canonicalBytes), contentType: contentType)
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func prefersHTML(_ request: Request) -> Bool {
        let accept = request.headers[.accept] ?? ""
        guard let html = accept.range(of: "text/html") else { return false }
        // A browser lists text/html first; an API client asks for JSON first or only.
        return accept.range(of: "application/json").map { html.lowerBound < $0.lowerBound } ?? true
    }
}
