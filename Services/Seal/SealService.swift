import Hummingbird
import Logging
import ServiceKit

/// The seal service. 一枚印章管审批: licences issued together under the bureau's dedicated electronic seal.
@main
struct SealService {
    static func main() async {
        await ServiceRunner.main(service: .seal) { configuration, logger in
            buildApplication(configuration: configuration, logger: logger)
        }
    }
}

/// Seal's HTTP application; tests build it through this function too.
func buildApplication(configuration: ServiceConfiguration, logger: Logger) -> some ApplicationProtocol {
    buildServiceApplication(configuration: configuration, logger: logger)
}
