import Domain
import Hummingbird
import Signing

/// Checks the text that comes in the request line and headers before any route sees it: every
/// query parameter's name and value, and the path, percent-decoded, must be UTF-8 without control
/// characters (U+0000–U+001F, U+007F–U+009F), and a query value at most `maximumQueryLength`
/// characters; every header value UTF-8 without control characters but tab, at most
/// `maximumHeaderLength` bytes. Otherwise the caller gets a 400 validation problem naming the
/// field: a NUL in a query parameter once reached PostgreSQL (SQLSTATE 22021, "invalid byte
/// sequence") and came back as a 500. JSON bodies are checked by `JSONBodyText`, where they are read.
struct TextAtTheEdgeMiddleware: RouterMiddleware {
    typealias Context = TongbanRequestContext

    static let maximumQueryLength = 512
    /// A bearer token is about a kilobyte; nothing Tongban reads from a header is longer.
    static let maximumHeaderLength = 8192

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
        for field in request.headers {
            let problem: String? = field.withUnsafeBytesOfValue { bytes in
                guard let text = String(validating: bytes, as: UTF8.self) else { return "is not UTF-8" }
                if let control = text.unicodeScalars.first(where: { $0 != "\t" && isControl($0) }) { return "contains the control character \(named(control))" }
                if bytes.count > Self.maximumHeaderLength { return "is \(bytes.count) bytes long; at most \(Self.maximumHeaderLength) are allowed" }
                return nil
            }
            if let problem { errors.append(FieldError(field: field.name.canonicalName, problem: problem)) }
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
        if let control = text.unicodeScalars.first(where: isControl) { return "contains the control character \(named(control))" }
        if let maximumLength, text.count > maximumLength { return "is \(text.count) characters long; at most \(maximumLength) are allowed" }
        return nil
    }
}

/// C0 and C1 control characters and DEL: never part of a name, an address or a comment as text.
func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}

/// `U+0000`.
func named(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}

/// The text of a JSON body: no string in it, key or value, may hold a control character other
/// than tab, line feed and carriage return (which multi-line comments and addresses use), escaped
/// (`\u0000`) or not. JSON allows them; PostgreSQL's text does not take a NUL (SQLSTATE 22021),
/// and the others have no place in what a person types.
public enum JSONBodyText {
    /// The 400 naming the first field at fault, or nil when every string is text. A byte scan
    /// first, so that an ordinary body is not parsed twice; the walk that names the field runs
    /// only when the scan found something.
    public static func problem(in body: some Collection<UInt8>) -> Problem? {
        let bytes = Array(body)
        guard mayHoldControl(bytes), let value = try? JSONValue(parsing: bytes) else { return nil }
        var errors: [FieldError] = []
        walk(value, at: "", into: &errors)
        return errors.isEmpty ? nil : .validation(errors)
    }

    static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        !isControl(scalar) || scalar == "\t" || scalar == "\n" || scalar == "\r"
    }

    /// Whether the raw bytes may hold a forbidden character: an escape `\uXXXX` of one, `\b` or
    /// `\f`, DEL, or a C1 character (UTF-8 C2 80–C2 9F). Raw C0 bytes are invalid JSON, which the
    /// decoder refuses anyway.
    static func mayHoldControl(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { return false }
                switch bytes[index + 1] {
                case UInt8(ascii: "b"), UInt8(ascii: "f"): return true
                case UInt8(ascii: "u"):
                    guard index + 5 < bytes.count,
                          let code = UInt32(String(decoding: bytes[(index + 2)...(index + 5)], as: UTF8.self), radix: 16)
                    else { return false }
                    if let scalar = Unicode.Scalar(code), !allowed(scalar) { return true }
                    index += 6
                    continue
                default:
                    index += 2
                    continue
                }
            case 0x7F: return true
            case 0xC2 where index + 1 < bytes.count && (0x80...0x9F).contains(bytes[index + 1]): return true
            default: break
            }
            index += 1
        }
        return false
    }

    static func walk(_ value: JSONValue, at path: String, into errors: inout [FieldError]) {
        func check(_ text: String, field: String, what: String) {
            if let control = text.unicodeScalars.first(where: { !allowed($0) }) {
                errors.append(FieldError(field: field.isEmpty ? "(body)" : field, problem: "\(what) contains the control character \(named(control))"))
            }
        }
        switch value {
        case .string(let text):
            check(text, field: path, what: "the text")
        case .array(let items):
            for (index, item) in items.enumerated() { walk(item, at: "\(path)[\(index)]", into: &errors) }
        case .object(let members):
            for (key, member) in members.members {
                // A bad name is reported at its object, so that the problem never repeats it.
                check(key, field: path, what: "a member's name")
                walk(member, at: path.isEmpty ? key : "\(path).\(key)", into: &errors)
            }
        default:
            break
        }
    }
}
