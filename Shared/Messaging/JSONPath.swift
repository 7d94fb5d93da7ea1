/// A coding path as a client writes it: `applicant.idNumber`, `materials[2].code`; empty for the
/// document itself. Request validation and envelope payloads name fields the same way.
public func jsonPath(_ codingPath: [any CodingKey]) -> String {
    var path = ""
    for key in codingPath {
        if let index = key.intValue {
            path += "[\(index)]"
        } else {
            path += path.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return path
}
