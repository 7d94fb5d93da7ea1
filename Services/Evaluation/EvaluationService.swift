import Hummingbird
import Logging
import ServiceKit

/// The evaluation service. 好差评 and 电子监察: ratings, rectification and independent supervision of every clock.
@main
struct EvaluationService {
    static func main() async {
        await ServiceRunner.main(service: .evaluation) { configuration, logger in
            buildApplication(configuration: configuration, logger: logger)
        }
    }
}

/// Evaluation's HTTP application; tests build it through this function too.
func buildApplication(configuration: ServiceConfiguration, logger: Logger) -> some ApplicationProtocol {
    buildServiceApplication(configuration: configuration, logger: logger)
}
