import Hummingbird
import Logging
import ServiceKit

/// The approval service. 并联审批, 限时办结: departments' parallel tasks under working-day limits.
@main
struct ApprovalService {
    static func main() async {
        await ServiceRunner.main(service: .approval) { configuration, logger in
            buildApplication(configuration: configuration, logger: logger)
        }
    }
}

/// Approval's HTTP application; tests build it through this function too.
func buildApplication(configuration: ServiceConfiguration, logger: Logger) -> some ApplicationProtocol {
    buildServiceApplication(configuration: configuration, logger: logger)
}
