import Foundation
import HTTPTypes
import Hummingbird
import Messaging
import NIOCore

/// Evaluation's JSON responses: instants in RFC 3339 (UTC, milliseconds) as in the events, keys sorted.
enum EvaluationJSON {
    static var encoder: JSONEncoder { Envelope.encoder }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
