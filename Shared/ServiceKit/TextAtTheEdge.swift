import Domain
import Hummingbird

/// Checks the text that comes in the request line before any route sees it: every query
/// parameter's name and value, and the path, percent-decoded, must be UTF-8 without control
/// characters (U+0000–U+001F, U+007F–U+009F), and a query value at most `maximumQueryLength`
/// characters. Otherwise the caller gets a 400 validation problem naming the field: a NUL in a
/// query parameter once reached PostgreSQL (SQLSTATE 22021, "invalid byte sequence") and came
/// back as a 500. Bodies are JSON, read by each route's decoder.
struct TextAtTheEdgeMiddleware: RouterMiddleware {
    typealias Context = TongbanRequestContext

    static let maximumQueryLength = 512

    init() {}

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var errors: [FieldError] = []
        if let problem = Self.problem(in: request.uri.path, maximumLength: nil) {
            errors.append(FieldError(field: "path", problem: problem))
        }
        for pair in (request.uri.query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let rawName = String(parts[0])
            guard let name = Self.decoded(rawName) else {
                errors.append(FieldError(field: "query", problem: "a parameter name is not percent-encoded UTF-8"))
                continue
            }
            let field = Self.problem(in: rawName, maximumLength: 64) == nil ? name : "query"
            for (text, limit) in [(rawName, 64), (parts.count > 1 ? String(parts[1]) : "", Self.maximumQueryLength)] {
                if let problem = Self.problem(in: text, maximumLength: limit) { errors.append(FieldError(field: field, problem: problem)) }
            }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        return try await next(request, context)
    }

    /// `text` percent-decoded (`+` as a space); nil when the bytes are not UTF-8.
    static func decoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Why `raw` (percent-encoded) is not acceptable text, if it is not.
    static func problem(in raw: String, maximumLength: Int?) -> String? {
        guard let text = decoded(raw) else { return "is not percent-encoded UTF-8" }
        if let control = text.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "contains the control character U+\(String(control.value, radix: 16, uppercase: true).leftPadded(to: 4))"
        }
        if let maximumLength, text.count > maximumLength { return "is \(text.count) characters long; at most \(maximumLength) are allowed" }
        return nil
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
