import Domain
import Foundation
import Hummingbird
import ServiceKit
import TongbanClient

/// 好差评 routes: the applicant rates a completed case once, within the window, from the window's
/// rating device, the web portal or through the 12345 hotline (each acts with the applicant's own
/// token); a bad rating opens the responsible departments' rectifications.
struct RatingsController: Sendable {
    let workflow: RatingsWorkflow

    /// The reads of personal data that the access log records for staff.
    static let personalData: Set<String> = ["GET /cases/{number}/rating"]

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.post("cases/{number}/rating") { request, context in try await rate(request, context) }
        router.get("cases/{number}/rating") { _, context in try await read(context) }
    }

    // MARK: POST /cases/{number}/rating

    func rate(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant)
        let number = try context.caseNumber()
        let body = try await request.decode(as: RatingRequest.self, context: context)
        let rating = try body.validated()
        let rated = try await workflow.rate(
            number, by: caller, level: rating.level, channel: rating.channel, tags: rating.tags, comment: rating.comment,
            department: body.department
        )
        let document = caseRating(rated)
        return try Response.json(document, status: .created, headers: [.location: "/cases/\(number)/rating"])
    }

    // MARK: GET /cases/{number}/rating

    func read(_ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant, .supervisor)
        let number = try context.caseNumber()
        let rated = try await workflow.ratedCase(number, by: caller)
        return try Response.json(caseRating(rated))
    }

    /// The document of `rated` as it stands now.
    private func caseRating(_ rated: RatedCase) -> CaseRating {
        let settings = workflow.settings
        let row = rated.standing
        let rating = rated.rating.map { stored in
            CaseRating.Rating(
                level: stored.level,
                levelName: RatingLevel(rawValue: stored.level)?.name ?? stored.level,
                positive: RatingLevel(rawValue: stored.level)?.isPositive ?? false,
                channel: stored.channel,
                tags: stored.tags,
                comment: stored.comment,
                ratedAt: stored.ratedAt
            )
        }
        let until = row.completedAt?.addingTimeInterval(Double(settings.ratingWindowDays) * 86400)
        let status: SupervisedCaseStatus = row.withdrawnAt != nil ? .withdrawn : row.completedAt != nil ? .completed : .open
        return CaseRating(
            caseNumber: rated.caseNumber,
            status: status,
            completedAt: row.completedAt,
            ratableUntil: status == .completed ? until : nil,
            ratable: status == .completed && rating == nil && until.map { settings.now() <= $0 } == true,
            rating: rating,
            rectifications: rated.rectifications.map { Rectification($0, calendar: settings.calendars.home, now: settings.now()) }
        )
    }
}
