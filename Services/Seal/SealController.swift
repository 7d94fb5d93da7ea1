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

/// Seal's HTTP API: licences for their holders and the staff; verification, keys, status lists
/// and the licence page for anyone; key rotation for administrators.
struct SealController: Sendable {
    let workflow: SealWorkflow
    let verifier: LicenceVerifier
    let addresses: SealAddresses
    let bureauName: String
    let statusListTimeToLive: Duration

    static let staff: [Role] = [.clerk, .officer, .supervisor, .admin]

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("licences/{number}", use: licence)
        router.get("licences/{number}/page", use: page)
        router.get("licences/{number}/verification", use: verification)
        router.get("cases/{caseNumber}/licences", use: caseLicences)
        router.post("verifications", use: verify)
        router.get("keys", use: controllerDocument)
        router.get("issuers/{region}", use: issuer)
        router.post("keys/rotation", use: rotate)
        router.get("status-lists/{id}", use: statusList)
    }

    // MARK: Licences

    /// The licence as a Verifiable Credential, exactly as sealed: to its holder and to staff.
    @Sendable func licence(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let issued = try await readableLicence(context)
        return Self.json(.object(issued.credential), contentType: "application/vc+ld+json")
    }

    @Sendable func caseLicences(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<CaseLicences> {
        let principal = try context.requirePrincipal(.applicant, .clerk, .officer, .supervisor, .admin)
        let caseNumber = try context.parameters.require("caseNumber")
        let licences = try await workflow.licences(caseNumber: caseNumber)
        guard !licences.isEmpty else { throw Problem.notFound("Case \(caseNumber) has no licences.") }
        if principal.role == .applicant { try principal.requireOwnCase(applicantID: licences[0].holderAccount) }
        return Encoded(CaseLicences(caseNumber: caseNumber, licences: licences.map { issued in
            CaseLicences.Entry(summary: issued.summary, standing: verifier.standingResult(of: issued, keyID: nil).verdict)
        }))
    }

    /// The certificate page: public, as the printed licence is; a person's identity number masked.
    @Sendable func page(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let issued = try await publicLicence(context)
        let page = LicencePage(
            licence: issued,
            verification: verifier.standingResult(of: issued, keyID: nil),
            bureauName: bureauName,
            verificationURL: addresses.verification(issued.number)
        )
        return Self.html(try page.html())
    }

    /// The register's word on a licence (what its QR code opens): HTML for a browser, else JSON.
    @Sendable func verification(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let issued = try await publicLicence(context)
        let keyID = issued.credential["proof", "verificationMethod"]?.stringValue.flatMap(addresses.keyID(inVerificationMethod:))
        let result = verifier.standingResult(of: issued, keyID: keyID)
        if Self.prefersHTML(request) { return Self.html(VerificationPage(result: result).html()) }
        return try Response.json(result)
    }

    /// POST /verifications: anyone presents a licence and learns whether it holds.
    @Sendable func verify(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<LicenceVerification> {
        if let type = request.headers[.contentType]?.lowercased(), !(type.hasPrefix("application/json") || type.contains("+json")) {
            throw Problem(type: .unsupportedMediaType, status: .unsupportedMediaType, title: "Unsupported media type", detail: "Send the licence as application/json.")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
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

    func readableLicence(_ context: TongbanRequestContext) async throws -> IssuedLicence {
        let principal = try context.requirePrincipal(.applicant, .clerk, .officer, .supervisor, .admin)
        let issued = try await publicLicence(context)
        if principal.role == .applicant { try principal.requireOwnCase(applicantID: issued.holderAccount) }
        return issued
    }

    func publicLicence(_ context: TongbanRequestContext) async throws -> IssuedLicence {
        let number = try context.parameters.require("number")
        guard LicenceNumber.isPlausible(number), let issued = try await workflow.licence(number: number) else {
            throw Problem.notFound("No licence \(number) in the register.")
        }
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
