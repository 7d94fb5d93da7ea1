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
