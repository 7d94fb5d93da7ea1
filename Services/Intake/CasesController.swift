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

/// The window's case routes: register (一窗受理), read with the timeline, list, supplement,
/// withdraw, and read a material.
struct CasesController: Sendable {
    let workflow: IntakeWorkflow

    /// The reads of personal data that the access log records for staff.
    static let personalData: Set<String> = ["GET /cases", "GET /cases/{number}", "GET /cases/{number}/materials/{id}"]

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    var settings: IntakeSettings { workflow.settings }

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.post("cases") { request, context in try await register(request, context) }
        router.get("cases") { request, context in try await list(request, context) }
        router.get("cases/{number}") { _, context in try await read(context) }
        router.post("cases/{number}/supplements") { request, context in try await supplement(request, context) }
        router.post("cases/{number}/withdrawal") { request, context in try await withdraw(request, context) }
        router.get("cases/{number}/materials/{id}") { _, context in try await material(context) }
    }

    // MARK: Who may do what

    /// Applicants apply for themselves, once their account's identity is verified (实名认证); clerks
    /// register for anyone, at their own region's window (`requirePrincipal` refuses another region's).
    func requireRegistrar(_ context: TongbanRequestContext) throws(Problem) -> Principal {
        let caller = try context.requirePrincipal(.applicant, .clerk)
        if caller.role == .applicant, caller.identity == nil {
            throw .forbidden("An online account applies once its identity is verified (实名认证); this token carries no identity.")
        }
        return caller
    }

    /// The applicant, a clerk of the case's region, and — when `officers` — the officers whose
    /// department handles one of its tasks in their region. A role that never sees cases here is
    /// refused (403) whatever the case, existing or not; a case outside the caller's reach answers 404,
    /// as one that does not exist, so that numbers cannot be probed.
    func requireAccess(_ caller: Principal, to facts: CaseAccessFacts?, officers: Bool) throws(Problem) -> CaseAccessFacts {
        try caller.require(officers ? [.applicant, .clerk, .officer] : [.applicant, .clerk])
        guard let facts else { throw .notFound("No such case.") }
        let reaches = switch caller.role {
        case .applicant: caller.isApplicant(identifiedBy: facts.applicantIdentifier)
        case .clerk: caller.isClerk(in: facts.region)
        case .officer: facts.departments.contains { caller.isOfficer(of: $0.department, in: $0.region) }
        default: false
        }
        guard reaches else { throw .notFound("No such case.") }
        return facts
    }

    // MARK: POST /cases

    func register(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try requireRegistrar(context)
        guard let key = request.headers[Self.idempotencyKey]?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
            throw Problem.validation([FieldError(field: "Idempotency-Key", problem: "the header is required: a unique key per application, so that sending it again creates nothing new")])
        }
        guard key.count <= 200 else {
            throw Problem.validation([FieldError(field: "Idempotency-Key", problem: "must have at most 200 characters")])
        }
        let body = Data(try await request.body.collect(upTo: settings.maximumApplicationBytes).readableBytesView)
        let bodySHA256 = SHA256.hash(data: body).hexadecimal
        let claim = IdempotencyClaim(caller: "\(caller.role.rawValue):\(caller.subject)", key: key, requestSHA256: bodySHA256)
        if let stored = try await workflow.storedResponse(to: claim) {
            return try replay(stored, requestSHA256: bodySHA256)
        }

        let form = try ProblemReportingJSONDecoder().decode(ApplicationForm.self, from: body)
        let application: Application
        switch form.validated(catalogue: settings.catalogue, caller: caller, materialRules: settings.materialRules) {
        case .success(let valid): application = valid
        case .failure(let invalid): throw Problem.validation(invalid.errors)
        }
        let acceptedAt = Envelope.now()
        let outcome = application.registrationOutcome(catalogue: settings.catalogue, calendar: settings.calendar, acceptedAt: acceptedAt)
        let deficiencies: [CaseSubmitted.Deficiency]
        switch outcome {
        case .refused(let missing):
            return try refusal(missing)
        case .accepted: deficiencies = []
        case .acceptedWithDeficiency(let owed): deficiencies = owed
        }

        let (stored, replayed) = try await workflow.register(application, deficiencies: deficiencies, acceptedAt: acceptedAt, by: caller, claim: claim)
        if replayed { return try replay(stored, requestSHA256: bodySHA256) }
        return Response.body(stored.body, status: .created, contentType: "application/json", headers: stored.location.map { [.location: $0] } ?? [:])
    }

    /// The first response to this key, unchanged; a different body under the same key is a mistake
    /// the client must hear about.
    func replay(_ stored: StoredResponse, requestSHA256: String) throws -> Response {
        guard stored.requestSHA256 == requestSHA256 else {
            throw Problem.conflict("This Idempotency-Key was used for a different application; use a new key for a new application.")
        }
        var headers: HTTPFields = [Self.idempotentReplayed: "true"]
        if let location = stored.location { headers[.location] = location }
        return Response.body(stored.body, status: HTTPResponse.Status(code: stored.status), contentType: "application/json", headers: headers)
    }

    func refusal(_ missing: [RegistrationRefusal.MissingItem]) throws -> Response {
        let list = missing.map { "\($0.name)（\($0.matterName)）" }.joined(separator: "；")
        let body = RegistrationRefusal(
            detail: "Not accepted: \(missing.count) mandatory item\(missing.count == 1 ? " is" : "s are") missing: \(list)",
            catalogueVersion: settings.catalogue.version,
            missing: missing
        )
        return try Response.json(body, status: .unprocessableContent, contentType: Problem.mediaType)
    }

    // MARK: GET /cases, GET /cases/{number}

    func list(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant, .clerk)
        let query = request.uri.queryParameters
        var errors: [FieldError] = []
        var limit = 50
        if let text = query.get("limit") {
            if let value = Int(text), (1...200).contains(value) { limit = value } else {
                errors.append(FieldError(field: "limit", problem: "must be a whole number from 1 to 200"))
            }
        }
        var status: CaseStatus?
        if let text = query.get("status") {
            status = CaseStatus(rawValue: text)
            if status == nil {
                errors.append(FieldError(field: "status", problem: "must be one of \(CaseStatus.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        let before = query.get("before")
        if let before, (try? CaseNumber(before)) == nil {
            errors.append(FieldError(field: "before", problem: "must be a case number, the `next` of the previous page"))
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        let cases = try await workflow.list(
            // An applicant without a verified identity has no cases: the empty string matches none.
            applicantIdentifier: caller.role == .applicant ? caller.identity ?? "" : nil,
            region: caller.role == .clerk ? caller.region : nil,
            status: status,
            before: before,
            limit: limit
        )
        return try Response.json(cases)
    }

    func read(_ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant, .clerk, .officer)
        let number = try context.caseNumber()
        _ = try requireAccess(caller, to: try await workflow.accessFacts(number), officers: true)
        guard let view = try await workflow.view(number) else { throw Problem.notFound("No such case.") }
        return try Response.json(view)
    }

    // MARK: GET /cases/{number}/materials/{id}

    func material(_ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant, .clerk, .officer)
        let number = try context.caseNumber()
        _ = try requireAccess(caller, to: try await workflow.accessFacts(number), officers: true)
        guard let id = UUID(uuidString: try context.parameters.require("id")),
              let material = try await workflow.material(caseNumber: number, id: id)
        else { throw Problem.notFound("No such material in this case.") }
        return Response.material(material.content, mediaType: material.mediaType, sha256: material.sha256, fileName: material.fileName, fallbackName: material.code)
    }

    // MARK: POST /cases/{number}/supplements

    struct SupplementForm: Decodable {
        var materials: [MaterialUpload]
    }

    func supplement(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant, .clerk)
        let number = try context.caseNumber()
        _ = try requireAccess(caller, to: try await workflow.accessFacts(number), officers: false)
        let body = Data(try await request.body.collect(upTo: settings.maximumApplicationBytes).readableBytesView)
        let form = try ProblemReportingJSONDecoder().decode(SupplementForm.self, from: body)
        guard !form.materials.isEmpty else {
            throw Problem.validation([FieldError(field: "materials", problem: "is empty: hand in at least one material")])
        }
        return try Response.json(try await workflow.supplement(number, with: form.materials), status: .created)
    }

    // MARK: POST /cases/{number}/withdrawal

    struct WithdrawalForm: Decodable {
        var reason: String?
    }

    func withdraw(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant, .clerk)
        let number = try context.caseNumber()
        _ = try requireAccess(caller, to: try await workflow.accessFacts(number), officers: false)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let form = buffer.readableBytes == 0
            ? WithdrawalForm()
            : try ProblemReportingJSONDecoder().decode(WithdrawalForm.self, from: Data(buffer.readableBytesView))
        let reason = form.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        return try Response.json(try await workflow.withdraw(number, reason: reason?.isEmpty == false ? reason : nil))
    }
}
