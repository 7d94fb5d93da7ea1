public import Domain

/// RFC 9457 problem details: how every service refuses a request (`application/problem+json`),
/// and what every client reads then. `type` is stable per kind of problem, so clients branch on
/// it, never on `title` or `detail`.
public struct ProblemDocument: Codable, Sendable, Equatable {
    public static let mediaType = "application/problem+json"

    /// A URI per kind of problem, e.g. `urn:tongban:problem:validation`.
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    /// The request's path.
    public var instance: String?
    /// Validation problems: one entry per field in error.
    public var errors: [FieldError]?
    /// The id under which the service logged the request.
    public var requestId: String?

    public init(type: String, title: String, status: Int, detail: String? = nil, instance: String? = nil, errors: [FieldError]? = nil, requestId: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.errors = errors
        self.requestId = requestId
    }
}
