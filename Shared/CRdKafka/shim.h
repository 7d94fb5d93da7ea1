#include <librdkafka/rdkafka.h>
/* librdkafka's in-process mock cluster, for unit tests of the Kafka wrapper. */
#include <librdkafka/rdkafka_mock.h>
