import Domain
import Hummingbird
import ServiceKit
import TongbanClient

/// GET /relay/partners, GET /relay/cases/{number} and GET /relay/quarantine: the operator's view of
/// the exchange. Admins only: it names partners' clusters and what was refused from them.
struct PartnerController {
    let workflow: RelayWorkflow

    /// The reads of personal data that the access log records.
    static let personalData: Set<String> = ["GET /relay/cases/{number}"]

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("relay/partners") { _, context -> Response in
            _ = try context.requirePrincipal(.admin)
            return try Response.json(try await workflow.standings())
        }
        router.get("relay/cases/{number}") { _, context -> Response in
            _ = try context.requirePrincipal(.admin)
            let number = try context.caseNumber()
            guard let standing = try await workflow.standing(ofCase: number) else {
                throw Problem.notFound("The relay never handed this case over or took it in.")
            }
            return try Response.json(standing)
        }
        router.get("relay/quarantine") { request, context -> Response in
            _ = try context.requirePrincipal(.admin)
            var limit = 50
            if let text = request.uri.queryParameters.get("limit") {
                guard let value = Int(text), (1...500).contains(value) else {
                    throw Problem.validation([FieldError(field: "limit", problem: "must be a whole number from 1 to 500")])
                }
                limit = value
            }
            let partner = request.uri.queryParameters.get("partner")
            if let partner, workflow.keyring.partners[partner] == nil {
                throw Problem.validation([FieldError(field: "partner", problem: "\(partner) is not a partner of this region")])
            }
            return try Response.json(QuarantineList(items: try await workflow.quarantine(limit: limit, partner: partner)))
        }
    }
}
