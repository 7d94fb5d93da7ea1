import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Messaging
import NIOCore
import Postgres
import ServiceKit
import Signing

/// The window's case routes: register (一窗受理), read with the timeline, list, supplement,
/// withdraw, and read a material.
struct CasesController: Sendable {
    let runtime: ServiceRuntime
    let settings: IntakeSettings
    let repository: CaseRepository

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    /// RFC 5987 attr-chars: everything else in a file name is percent-encoded UTF-8.
    static let fileNameCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")

    var homeRegion: DivisionCode { runtime.configuration.region }
    var materialRules: MaterialRules { MaterialRules(maximumBytes: settings.maximumMaterialBytes) }

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.post("cases") { request, context in try await register(request, context) }
        router.get("cases") { request, context in try await list(request, context) }
        router.get("cases/{number}") { _, context in try await read(context) }
        router.post("cases/{number}/supplements") { request, context in try await supplement(request, context) }
        router.post("cases/{number}/withdrawal") { request, context in try await withdraw(request, context) }
        router.get("cases/{number}/materials/{id}") { _, context in try await material(context) }
    }

    // MARK: Who may do what

    /// Applicants apply for themselves; clerks register for anyone, but only at their own region's window.
    func requireRegistrar(_ context: TongbanRequestContext) throws(Problem) -> Principal {
        let caller = try context.requirePrincipal(.applicant, .clerk)
        if caller.role == .clerk, caller.region != homeRegion.value {
            throw .forbidden("Clerks register applications at their own region's window; this window serves \(homeRegion.value).")
        }
        return caller
    }

    /// The applicant (anyone else's case answers 404, so numbers cannot be probed), a clerk of the
    /// case's region, and — when `officers` — the officers whose department handles one of its tasks.
    func requireAccess(_ caller: Principal, to facts: CaseAccessFacts?, officers: Bool) throws(Problem) -> CaseAccessFacts {
        guard let facts else { throw .notFound("No such case.") }
        switch caller.role {
        case .applicant:
            try caller.requireOwnCase(applicantID: facts.applicantAccount)
        case .clerk where caller.region == facts.region:
            break
        case .clerk:
            throw .forbidden("Clerks see the cases of their own region.")
        case .officer where officers:
            guard facts.departments.contains(where: { $0.department == caller.department && $0.region == caller.region }) else {
                throw .forbidden("Officers see the cases their department handles.")
            }
        default:
            throw .forbidden("Cases are seen by their applicant, the window's clerks and the departments handling them.")
        }
        return facts
    }

    func caseNumber(_ context: TongbanRequestContext) throws -> String {
        let text = try context.parameters.require("number")
        do {
            return try CaseNumber(text).description
        } catch {
            throw Problem.notFound("No such case.")
        }
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
        let idempotencyCaller = "\(caller.role.rawValue):\(caller.subject)"
        if let stored = try await repository.storedResponse(caller: idempotencyCaller, key: key) {
            return try replay(stored, requestSHA256: bodySHA256)
        }

        let form = try ProblemReportingJSONDecoder().decode(ApplicationForm.self, from: body)
        let application: Application
        switch form.validated(catalogue: settings.catalogue, caller: caller, materialRules: materialRules) {
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

        // The number is taken before the registration's transaction, not in it: otherwise every
        // registration of the day waits for the one before it to commit, since they all update the
        // day's sequence row (the system benchmark measured about 50 registrations a second that
        // way, whatever the load). A registration that fails from here on leaves its number unused,
        // a gap in the day's numbers, as a queue-ticket machine does.
        let number = try await repository.nextCaseNumber(region: homeRegion, acceptedAt: acceptedAt).description
        return try await runtime.database.withTransaction { connection in
            try await repository.lockIdempotencyKey(caller: idempotencyCaller, key: key, on: connection)
            // The same key may have committed while this request was being checked.
            if let stored = try await repository.storedResponse(caller: idempotencyCaller, key: key, on: connection) {
                return try replay(stored, requestSHA256: bodySHA256)
            }
            var submitted = CaseSubmitted(
                caseNumber: number,
                region: homeRegion.value,
                bundle: application.bundle.map { CaseSubmitted.Bundle(code: $0.code, name: $0.name) },
                applicant: application.applicant,
                acceptedAt: acceptedAt,
                catalogueVersion: settings.catalogue.version,
                matters: application.eventMatters(catalogue: settings.catalogue),
                materials: [],
                deficiencies: deficiencies,
                commitments: application.commitments.isEmpty ? nil : application.eventCommitments()
            )
            let status: CaseStatus = deficiencies.isEmpty ? .accepted : .acceptedWithDeficiency
            try await repository.insertCase(submitted, site: application.site, registeredBy: caller.subject, role: caller.role.rawValue, status: status, on: connection)
            for material in application.materials {
                submitted.materials.append(try await repository.insertMaterial(material, caseNumber: number, receivedAt: acceptedAt, on: connection))
            }
            _ = try await connection.query("UPDATE cases SET submission = \(try PostgresJSONB(submitted)) WHERE number = \(number)")
            try await repository.addTimeline(number, at: acceptedAt, kind: "accepted", summary: acceptanceSummary(submitted), on: connection)
            try await Outbox.append(
                Envelope(source: runtime.eventSource, type: Topic.caseSubmitted.eventType, key: number, payload: submitted, time: acceptedAt),
                to: runtime.topic(.caseSubmitted),
                on: connection
            )

            let receipt = RegistrationReceipt(
                caseNumber: number,
                outcome: status.rawValue,
                status: status,
                acceptedAt: acceptedAt,
                catalogueVersion: submitted.catalogueVersion,
                bundle: submitted.bundle,
                applicant: submitted.applicant,
                site: application.site,
                matters: submitted.matters,
                materials: submitted.materials,
                deficiencies: deficiencies,
                commitments: submitted.commitments ?? [],
                location: "/cases/\(number)"
            )
            let stored = StoredResponse(requestSHA256: bodySHA256, status: 201, location: "/cases/\(number)", body: try Envelope.encoder.encode(receipt))
            try await repository.storeResponse(caller: idempotencyCaller, key: key, response: stored, on: connection)
            return Response.body(stored.body, status: .created, contentType: "application/json", headers: [.location: "/cases/\(number)"])
        }
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

    func refusal(_ missing: [MissingItem]) throws -> Response {
        let list = missing.map { "\($0.name)（\($0.matterName)）" }.joined(separator: "；")
        let body = RegistrationRefusal(
            detail: "Not accepted: \(missing.count) mandatory item\(missing.count == 1 ? " is" : "s are") missing: \(list)",
            catalogueVersion: settings.catalogue.version,
            missing: missing
        )
        return try Response.json(body, status: .unprocessableContent, contentType: Problem.mediaType)
    }

    func acceptanceSummary(_ submitted: CaseSubmitted) -> String {
        let what = submitted.bundle?.name ?? submitted.matters.map(\.name).joined(separator: "、")
        if submitted.deficiencies.isEmpty {
            return "Accepted (受理): \(what)."
        }
        let owed = submitted.deficiencies.map { "\($0.name) by \($0.dueBy)" }.joined(separator: "; ")
        return "Accepted with deficiency (容缺受理): \(what). Owed: \(owed)."
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
        let cases = try await repository.list(
            applicantAccount: caller.role == .applicant ? caller.subject : nil,
            region: caller.role == .clerk ? caller.region : nil,
            status: status,
            before: before,
            limit: limit
        )
        return try Response.json(cases)
    }

    func read(_ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal()
        let number = try caseNumber(context)
        _ = try requireAccess(caller, to: try await repository.accessFacts(number: number), officers: true)
        guard let view = try await repository.view(number) else { throw Problem.notFound("No such case.") }
        return try Response.json(view)
    }

    // MARK: GET /cases/{number}/materials/{id}

    func material(_ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal()
        let number = try caseNumber(context)
        _ = try requireAccess(caller, to: try await repository.accessFacts(number: number), officers: true)
        guard let id = UUID(uuidString: try context.parameters.require("id")),
              let material = try await repository.material(caseNumber: number, id: id)
        else { throw Problem.notFound("No such material in this case.") }
        var headers: HTTPFields = [
            .eTag: "\"\(material.sha256)\"",
            .cacheControl: "private, no-store",
            HTTPField.Name("Repr-Digest")!: "sha-256=:\((Data(hexadecimal: material.sha256) ?? Data()).base64EncodedString()):",
        ]
        if let fileName = material.fileName {
            headers[.contentDisposition] = "inline; filename*=UTF-8''\(fileName.addingPercentEncoding(withAllowedCharacters: Self.fileNameCharacters) ?? material.code)"
        }
        return Response.body(material.content, status: .ok, contentType: material.mediaType, headers: headers)
    }

    // MARK: POST /cases/{number}/supplements

    struct SupplementForm: Decodable {
        var materials: [MaterialUpload]
    }

    struct SupplementReceipt: Encodable {
        var caseNumber: String
        var status: CaseStatus
        var materials: [MaterialReference]
        /// The supplement requests (补正) these materials completed.
        var answers: [String]
        var supplementedAt: Date
    }

    func supplement(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal()
        let number = try caseNumber(context)
        _ = try requireAccess(caller, to: try await repository.accessFacts(number: number), officers: false)
        let body = Data(try await request.body.collect(upTo: settings.maximumApplicationBytes).readableBytesView)
        let form = try ProblemReportingJSONDecoder().decode(SupplementForm.self, from: body)
        guard !form.materials.isEmpty else {
            throw Problem.validation([FieldError(field: "materials", problem: "is empty: hand in at least one material")])
        }

        return try await runtime.database.withTransaction { connection in
            guard let status = try await repository.lockCase(number, on: connection) else { throw Problem.notFound("No such case.") }
            guard !status.isClosed else { throw Problem.conflict("The case is \(status.rawValue); nothing can be supplied any more.") }
            let (owed, requests) = try await repository.outstanding(number, on: connection)
            let requested = Dictionary(requests.flatMap { $0.items.map { ($0.materialCode, $0.name) } }, uniquingKeysWith: { first, _ in first })
            guard !owed.isEmpty || !requested.isEmpty else {
                throw Problem.conflict("Nothing is owed or requested for this case.")
            }

            var errors: [FieldError] = []
            var verified: [VerifiedMaterial] = []
            var seen: Set<String> = []
            for (index, upload) in form.materials.enumerated() {
                let field = "materials[\(index)]"
                guard seen.insert(upload.code).inserted else {
                    errors.append(FieldError(field: "\(field).code", problem: "\(upload.code) is handed in twice"))
                    continue
                }
                guard let name = owed[upload.code] ?? requested[upload.code] else {
                    let expected = Set(owed.keys).union(requested.keys).sorted().joined(separator: ", ")
                    errors.append(FieldError(field: "\(field).code", problem: "\(upload.code) is neither owed nor requested; expected one of \(expected)"))
                    continue
                }
                switch materialRules.verify(upload, name: name, field: field) {
                case .success(let material): verified.append(material)
                case .failure(let invalid): errors += invalid.errors
                }
            }
            guard errors.isEmpty else { throw Problem.validation(errors) }

            let now = Envelope.now()
            var references: [MaterialReference] = []
            for material in verified {
                references.append(try await repository.insertMaterial(material, caseNumber: number, receivedAt: now, on: connection))
            }
            let supplied = Set(verified.map(\.code))
            try await repository.markSupplied(number, codes: Array(supplied), at: now, on: connection)
            // A request is answered once every item it named has arrived, now or before.
            let answered = requests.filter { request in request.items.allSatisfy { supplied.contains($0.materialCode) } }.map(\.id)
            try await repository.markAnswered(answered, at: now, on: connection)
            let names = references.map(\.name).joined(separator: "、")
            try await repository.addTimeline(number, at: now, kind: "materials-supplemented", summary: "Materials supplied: \(names).", on: connection)
            let event = MaterialsSupplemented(caseNumber: number, materials: references, answers: answered, supplementedAt: now)
            try await Outbox.append(
                Envelope(source: runtime.eventSource, type: Topic.materialsSupplemented.eventType, key: number, payload: event, time: now),
                to: runtime.topic(.materialsSupplemented),
                on: connection
            )
            let newStatus = try await repository.refreshStatus(number, on: connection)
            return try Response.json(
                SupplementReceipt(caseNumber: number, status: newStatus, materials: references, answers: answered, supplementedAt: now),
                status: .created
            )
        }
    }

    // MARK: POST /cases/{number}/withdrawal

    struct WithdrawalForm: Decodable {
        var reason: String?
    }

    struct WithdrawalReceipt: Encodable {
        var caseNumber: String
        var status: CaseStatus
        var withdrawnAt: Date
        var reason: String?
    }

    func withdraw(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal()
        let number = try caseNumber(context)
        _ = try requireAccess(caller, to: try await repository.accessFacts(number: number), officers: false)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let form = buffer.readableBytes == 0
            ? WithdrawalForm()
            : try ProblemReportingJSONDecoder().decode(WithdrawalForm.self, from: Data(buffer.readableBytesView))
        let reason = form.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await runtime.database.withTransaction { connection in
            guard let status = try await repository.lockCase(number, on: connection) else { throw Problem.notFound("No such case.") }
            guard !status.isClosed else { throw Problem.conflict("The case is \(status.rawValue) and can no longer be withdrawn.") }
            let now = Envelope.now()
            let reasonGiven = reason?.isEmpty == false ? reason : nil
            try await repository.markWithdrawn(number, at: now, reason: reasonGiven, on: connection)
            try await repository.addTimeline(number, at: now, kind: "withdrawn", summary: "Withdrawn by the applicant (撤回)\(reasonGiven.map { ": \($0)" } ?? ".")", on: connection)
            try await Outbox.append(
                Envelope(source: runtime.eventSource, type: Topic.caseWithdrawn.eventType, key: number, payload: CaseWithdrawn(caseNumber: number, reason: reasonGiven, withdrawnAt: now), time: now),
                to: runtime.topic(.caseWithdrawn),
                on: connection
            )
            return try Response.json(WithdrawalReceipt(caseNumber: number, status: .withdrawn, withdrawnAt: now, reason: reasonGiven))
        }
    }
}
