import Domain
import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import Metrics

/// The outermost middleware: gives every request an id (the caller's `X-Request-Id` when it is
/// sensible, else a new one), echoes it, logs one line per request with method, route, status and
/// duration, and counts and times requests by route and status for /metrics.
public struct RequestLoggingMiddleware: RouterMiddleware {
    public typealias Context = TongbanRequestContext
    let metrics: ServiceMetrics

    public init(metrics: ServiceMetrics) {
        self.metrics = metrics
    }

    /// Probes would drown the log at info; they are logged at debug.
    static let probePaths: Set<String> = ["/healthz", "/readyz", "/metrics"]

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = Self.requestID(from: request)
        context.logger[metadataKey: "request.id"] = .string(context.requestID)
        let started = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        response.headers[.requestID] = context.requestID

        // The route template, never the raw path: case numbers must not become metric labels.
        let route = context.endpointPath ?? "unmatched"
        let status = String(response.status.code)
        metrics.recordRequest(method: request.method.rawValue, route: route, status: status, duration: elapsed)
        context.logger.log(
            level: Self.probePaths.contains(request.uri.path) ? .debug : .info,
            "request",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.route": .string(route),
                "http.status": .string(status),
                "http.duration_ms": .stringConvertible(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000),
            ]
        )
        return response
    }

    static func requestID(from request: Request) -> String {
        if let given = request.headers[.requestID], (1...128).contains(given.count),
           given.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) {
            return given
        }
        return UUID().uuidString.lowercased()
    }
}

/// Turns every error into RFC 9457 problem+json. A `Problem` is shown as it is, the rules'
/// `InvalidFields` as a validation problem (400); Hummingbird's own
/// HTTP errors (no route, body too large) keep their status; anything else is a 500 that tells the
/// client nothing but the request id, while the log keeps the whole error.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = TongbanRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response(instance: request.uri.path, requestID: context.requestID)
        } catch let invalid as InvalidFields {
            return Problem.validation(invalid.errors).response(instance: request.uri.path, requestID: context.requestID)
        } catch let error as HTTPError {
            return Problem(httpError: error).response(instance: request.uri.path, requestID: context.requestID)
        } catch {
            // The description only: errors from the database keep the rows they quote out of it.
            context.logger.error("unexpected error", metadata: ["error": .string(String(describing: error))])
            return Problem.internalError(requestID: context.requestID).response(instance: request.uri.path, requestID: context.requestID)
        }
    }
}

extension Problem {
    init(httpError error: HTTPError) {
        switch error.status {
        case .notFound: self = .notFound("No such resource.")
        case .methodNotAllowed:
            self = Problem(type: .methodNotAllowed, status: .methodNotAllowed, title: "Method not allowed")
        case .contentTooLarge:
            self = Problem(type: .payloadTooLarge, status: .contentTooLarge, title: "Request body too large")
        case .badRequest: self = .malformedRequest(error.body ?? "The request could not be read.")
        case .unauthorized: self = .unauthenticated(error.body ?? "Authentication required.")
        case .forbidden: self = .forbidden(error.body ?? "Not allowed.")
        default:
            // Hummingbird's other errors carry no internals, but keep the generic wording of a 5xx.
            self = Problem(
                type: error.status.code >= 500 ? .internalError : ProblemType("http-\(error.status.code)"),
                status: error.status,
                title: error.status.reasonPhrase
            )
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
