import Domain
public import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import Messaging
import NIOCore
import TongbanClient

/// The request context of every Tongban service: who is calling (set by `AuthenticationMiddleware`),
/// the request id (set by `RequestLoggingMiddleware`), and JSON decoding whose failures become
/// 400 problems naming the field.
public struct TongbanRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller, when the request carried a valid bearer token.
    public var principal: Principal?
    public var requestID: String
    /// The address the request came from (the proxy's, behind one), for limits per client.
    public var clientAddress: String?
    /// The region this service serves (set by `AuthenticationMiddleware`).
    public var homeRegion: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        homeRegion = nil
        requestID = ""
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    public var requestDecoder: ProblemReportingJSONDecoder { ProblemReportingJSONDecoder() }

    /// Every `ResponseEncodable` a route returns, in Tongban's one JSON (see `Response.json`).
    public var responseEncoder: TongbanResponseEncoder { TongbanResponseEncoder() }

    /// Staff send small JSON documents; anything bigger is refused with 413. Routes that take
    /// documents (intake's applications) collect the body under their own limit and decode it
    /// with `ProblemReportingJSONDecoder.decode(_:from:)`.
    public var maxUploadSize: Int { 1024 * 1024 }

    /// The authenticated caller, who must hold one of `roles` (any role when none are given).
    /// 401 without a valid token, 403 with the wrong role, and 403 for staff of another region:
    /// clerks, officers, supervisors and admins act only where their token's region is served, so
    /// they are refused before anything of the request is read, whatever it names. (Partners are
    /// of another region by definition; a supervisor's or admin's token without a region is central.)
    public func requirePrincipal(_ roles: Role...) throws(Problem) -> Principal {
        guard let principal else {
            throw .unauthenticated("This request needs a bearer token.")
        }
        try principal.require(roles)
        if principal.role != .applicant, principal.role != .partner, let region = principal.region, let homeRegion, region != homeRegion {
            throw .forbidden("This service serves region \(homeRegion); a \(principal.role.rawValue) of region \(region) acts in their own region's services.")
        }
        return principal
    }

    /// The case number in the path's `{number}`, in its one spelling; text that is no case number
    /// names no case (404), so that a typo and a case one may not see answer alike.
    public func caseNumber() throws -> String {
        let text = try parameters.require("number")
        do {
            return try CaseNumber(text).description
        } catch {
            throw Problem.notFound("No such case.")
        }
    }
}

/// Decodes JSON request bodies; a body that is not JSON, or a field of the wrong type, missing or
/// invalid, becomes a 400 problem that says which field and why.
public struct ProblemReportingJSONDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        if let contentType = request.headers[.contentType]?.lowercased(),
           !(contentType.hasPrefix("application/json") || contentType.contains("+json")) {
            throw Problem(
                type: .unsupportedMediaType,
                status: .unsupportedMediaType,
                title: "Unsupported media type",
                detail: "Send the body as application/json, not \(contentType)."
            )
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return try decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// Decodes a body the route collected itself (under a limit of its own, say, or because it
    /// needs the exact bytes), with the same 400 problems.
    public func decode<T: Decodable>(_ type: T.Type, from body: Data) throws(Problem) -> T {
        if let problem = JSONBodyText.problem(in: body) { throw problem }
        do {
            return try Envelope.decoder.decode(T.self, from: body)
        } catch let error as DecodingError {
            throw Problem(decoding: error)
        } catch {
            throw .malformedRequest("The body could not be read.")
        }
    }
}

extension Problem {
    /// Translates Foundation's decoding errors into what a client can act on.
    init(decoding error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self = .validation([FieldError(field: fieldPath(context.codingPath + [key]), problem: "is required")])
        case .valueNotFound(_, let context):
            self = .validation([FieldError(field: fieldPath(context.codingPath), problem: "must not be null")])
        case .typeMismatch(let type, let context):
            self = .validation([FieldError(field: fieldPath(context.codingPath), problem: "must be \(jsonTypeName(type))")])
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            self = .malformedRequest("The body is not valid JSON.")
        case .dataCorrupted(let context):
            self = .validation([FieldError(field: fieldPath(context.codingPath), problem: context.debugDescription)])
        @unknown default:
            self = .malformedRequest("The body could not be read.")
        }
    }
}

/// The field's path, or `(body)` for the body as a whole.
func fieldPath(_ codingPath: [any CodingKey]) -> String {
    let path = jsonPath(codingPath)
    return path.isEmpty ? "(body)" : path
}

private func jsonTypeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Bool.Type: "true or false"
    case is Int.Type, is Int32.Type, is Int64.Type, is UInt.Type: "a whole number"
    case is Double.Type, is Float.Type, is Decimal.Type: "a number"
    case is [Any].Type: "an array"
    case is [String: Any].Type: "an object"
    default: "a value of the right kind"
    }
}
