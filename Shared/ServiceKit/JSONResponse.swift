public import Foundation
public import HTTPTypes
public import Hummingbird
import Messaging
import NIOCore

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
