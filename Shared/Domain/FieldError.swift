/// What is wrong with one field of a request: `field` is its JSON path (`applicant.idNumber`, `materials[2]`).
public struct FieldError: Sendable, Equatable, Codable {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }
}

/// Input the rules refuse, every field in error at once. Domain code throws it without knowing
/// of HTTP; a service's routes answer it as a validation problem (400).
public struct InvalidFields: Error, Sendable, Equatable {
    public var errors: [FieldError]

    public init(_ errors: [FieldError]) {
        self.errors = errors
    }
}
