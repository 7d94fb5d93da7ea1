# The librdkafka Tongban builds (sourced by Scripts/setup.sh and Scripts/librdkafka/build.sh).
RDKAFKA_VERSION="2.8.0"
# Debian's 2.8.0-1 with Scripts/librdkafka/*.patch; raise the suffix when a patch changes.
RDKAFKA_DEB_VERSION="2.8.0-1+tongban1"
