public import Foundation
public import HTTPTypes
public import Hummingbird
import Messaging
import NIOCore
import Signing

/// Tongban's one JSON policy for HTTP, the same as its events': `Envelope.encoder` (instants in
/// RFC 3339, UTC, with milliseconds; keys sorted, so equal values are equal bytes) and
/// `Envelope.decoder`. `TongbanRequestContext` renders every `ResponseEncodable` with it, the
/// clients in Shared/Client read with it, and a route that sets its own status or headers uses
/// `Response.json`.
extension Response {
    /// `value` as a JSON response.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, contentType: String = "application/json", headers: HTTPFields = [:]) throws -> Response {
        body(try Envelope.encoder.encode(value), status: status, contentType: contentType, headers: headers)
    }

    /// Bytes already encoded (a stored response, a document), with their content type.
    public static func body(_ bytes: Data, status: HTTPResponse.Status = .ok, contentType: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension Response {
    /// An applicant's material as handed in (intake's, or a partner's in approval): its bytes in its
    /// media type, its SHA-256 as `ETag` and `Repr-Digest` (RFC 9530), never cached, and its file
    /// name when it had one (RFC 6266, percent-encoded; `fallbackName` when it does not encode).
    public static func material(_ content: Data, mediaType: String, sha256: String, fileName: String? = nil, fallbackName: String = "material") -> Response {
        var headers: HTTPFields = [
            .eTag: "\"\(sha256)\"",
            .cacheControl: "private, no-store",
            HTTPField.Name("Repr-Digest")!: "sha-256=:\((Data(hexadecimal: sha256) ?? Data()).base64EncodedString()):",
        ]
        if let fileName {
            headers[.contentDisposition] = "inline; filename*=UTF-8''\(fileName.addingPercentEncoding(withAllowedCharacters: fileNameCharacters) ?? fallbackName)"
        }
        return body(content, status: .ok, contentType: mediaType, headers: headers)
    }

    /// RFC 5987's attr-char: what a file name may keep unencoded.
    static let fileNameCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
}

/// Renders what a route returns as `Response.json` does: Hummingbird's own JSON encoder would
/// send another content type (`; charset=utf-8`) than the routes that build their response.
public struct TongbanResponseEncoder: ResponseEncoder {
    public init() {}

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try Response.json(value)
    }
}

/// A route's answer that is a Shared/Client type (TongbanClient's types do not conform to
/// Hummingbird's protocols): rendered as every `ResponseEncodable`, with the request context's
/// encoder and the same content type, the bytes of `value` itself.
public struct Encoded<Value: Encodable & Sendable>: ResponseEncodable, Sendable {
    public var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func encode(to encoder: any Encoder) throws {
        // The value's own encoding at the top level: no wrapping key, the same JSON.
        try value.encode(to: encoder)
    }
}
