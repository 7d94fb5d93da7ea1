#!/bin/sh
# Makes the keys a trial deployment needs, once, into the `keys` volume; later runs keep them.
# - /keys/tokens: the bearer-token key pair (`tongban token keygen`). In production an identity
#   provider signs tokens and the services get only its public keys (TONGBAN_TOKEN_JWKS_FILE).
# - /keys/relay/<region>: each region's relay signing key (`tongban relay keygen`) and its partner
#   registry (TONGBAN_RELAY_PARTNERS_FILE). With PARTNER_REGION set (Compose/partner-region.yaml),
#   each of the two regions lists the other: its public key and how to reach its inbox.
set -eu
: "${TONGBAN_REGION:?}"
umask 077

tongban token keygen --directory /keys/tokens
tongban relay keygen --region "$TONGBAN_REGION" --directory "/keys/relay/$TONGBAN_REGION"

# registry FILE PARTNER NAME BOOTSTRAP PASSWORD: a partner registry naming one partner, whose
# inbox this region's relay reaches as user partner-<this region> with PASSWORD (kept in a file
# beside the registry, so the registry itself holds no secret).
registry() {
  file="$1" partner="$2" name="$3" bootstrap="$4" password="$5" home="$(dirname "$1")"
  printf '%s\n' "$password" >"$home/partner-$partner-kafka-password"
  cat >"$file" <<JSON
{"partners": [{
  "region": "$partner", "name": "$name",
  "keys": [$(cat "/keys/relay/$partner/relay-public-key.jwk")],
  "inbox": {
    "bootstrapServers": "$bootstrap",
    "topic": "tongban.relay.inbox.v1",
    "settings": {"security.protocol": "sasl_plaintext", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "partner-$(basename "$home")"},
    "secretFiles": {"sasl.password": "$home/partner-$partner-kafka-password"}
  }
}]}
JSON
}

if [ -n "${PARTNER_REGION:-}" ]; then
  tongban relay keygen --region "$PARTNER_REGION" --directory "/keys/relay/$PARTNER_REGION"
  registry "/keys/relay/$TONGBAN_REGION/partners.json" "$PARTNER_REGION" "${PARTNER_NAME:?}" \
    "${PARTNER_BOOTSTRAP_SERVERS:?}" "${PARTNER_INBOX_PASSWORD:?}"
  registry "/keys/relay/$PARTNER_REGION/partners.json" "$TONGBAN_REGION" "${HOME_NAME:?}" \
    "${HOME_BOOTSTRAP_SERVERS:?}" "${HOME_INBOX_PASSWORD:?}"
elif [ ! -f "/keys/relay/$TONGBAN_REGION/partners.json" ]; then
  echo '{"partners": []}' >"/keys/relay/$TONGBAN_REGION/partners.json"
fi
echo "keys ready"
