public import Domain
import Foundation
public import HTTPTypes
import Hummingbird
import Messaging
import TongbanClient

/// An error as the client sees it: RFC 9457 problem details (`application/problem+json`).
/// `type` is stable per kind of error, so clients branch on it, never on `title` or `detail`.
public struct Problem: Error, Sendable, Equatable {
    public var type: ProblemType
    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String?
    /// Field-level detail for validation errors, one entry per field in error.
    public var errors: [FieldError]
    /// Response headers the problem needs, such as `WWW-Authenticate` on a 401.
    public var headers: HTTPFields

    public init(
        type: ProblemType,
        status: HTTPResponse.Status,
        title: String,
        detail: String? = nil,
        errors: [FieldError] = [],
        headers: HTTPFields = [:]
    ) {
        self.type = type
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }
}

/// A stable URI per kind of problem, e.g. `urn:tongban:problem:validation`. Services add their own
/// kinds (`ProblemType("invalid-identity-number")`); Docs/ lists them.
public struct ProblemType: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ kind: String) {
        rawValue = "urn:tongban:problem:" + kind
    }

    public init(stringLiteral kind: String) {
        self.init(kind)
    }

    public static let validation = ProblemType("validation")
    public static let malformedRequest = ProblemType("malformed-request")
    public static let unauthenticated = ProblemType("unauthenticated")
    public static let forbidden = ProblemType("forbidden")
    public static let notFound = ProblemType("not-found")
    public static let methodNotAllowed = ProblemType("method-not-allowed")
    public static let conflict = ProblemType("conflict")
    public static let payloadTooLarge = ProblemType("payload-too-large")
    public static let unsupportedMediaType = ProblemType("unsupported-media-type")
    public static let unavailable = ProblemType("unavailable")
    public static let tooManyRequests = ProblemType("too-many-requests")
    public static let internalError = ProblemType("internal")
}

extension Problem {
    public static func validation(_ errors: [FieldError], detail: String? = nil) -> Problem {
        Problem(
            type: .validation,
            status: .badRequest,
            title: "The request has invalid fields",
            detail: detail ?? errors.map { "\($0.field): \($0.problem)" }.joined(separator: "; "),
            errors: errors
        )
    }

    public static func malformedRequest(_ detail: String) -> Problem {
        Problem(type: .malformedRequest, status: .badRequest, title: "The request could not be read", detail: detail)
    }

    public static func unauthenticated(_ detail: String) -> Problem {
        Problem(
            type: .unauthenticated,
            status: .unauthorized,
            title: "Authentication required",
            detail: detail,
            headers: [.wwwAuthenticate: #"Bearer realm="tongban""#]
        )
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(type: .forbidden, status: .forbidden, title: "Not allowed", detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(type: .notFound, status: .notFound, title: "Not found", detail: detail)
    }

    public static func conflict(_ detail: String) -> Problem {
        Problem(type: .conflict, status: .conflict, title: "Conflict", detail: detail)
    }

    /// 429, with `Retry-After` in whole seconds (at least one).
    public static func tooManyRequests(_ detail: String, retryAfter wait: Duration) -> Problem {
        let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
        return Problem(type: .tooManyRequests, status: .tooManyRequests, title: "Too many requests", detail: detail,
                       headers: [.retryAfter: String(seconds)])
    }

    public static func unavailable(_ detail: String) -> Problem {
        Problem(type: .unavailable, status: .serviceUnavailable, title: "Service unavailable", detail: detail)
    }

    /// The only thing a client learns of an unexpected error: that it happened, and the request id
    /// under which the service logged it.
    public static func internalError(requestID: String) -> Problem {
        Problem(
            type: .internalError,
            status: .internalServerError,
            title: "Internal error",
            detail: "The service could not complete the request. It was logged under request id \(requestID)."
        )
    }
}

extension Problem {
    public static let mediaType = ProblemDocument.mediaType

    func response(instance: String?, requestID: String?) -> Response {
        let body = ProblemDocument(
            type: type.rawValue,
            title: title,
            status: status.code,
            detail: detail,
            instance: instance,
            errors: errors.isEmpty ? nil : errors,
            requestId: requestID
        )
        let data = (try? Envelope.encoder.encode(body)) ?? Data(#"{"title":"Internal error","status":500}"#.utf8)
        return .body(data, status: status, contentType: Self.mediaType, headers: headers)
    }
}
