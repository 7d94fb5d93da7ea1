import Hummingbird
import Logging
import ServiceKit

/// The intake service. 一窗受理: the single window — matter catalogue, one-time notice, applications and bundles.
@main
struct IntakeService {
    static func main() async {
        await ServiceRunner.main(service: .intake) { configuration, logger in
            buildApplication(configuration: configuration, logger: logger)
        }
    }
}

/// Intake's HTTP application; tests build it through this function too.
func buildApplication(configuration: ServiceConfiguration, logger: Logger) -> some ApplicationProtocol {
    buildServiceApplication(configuration: configuration, logger: logger)
}
