# A partner region on this machine, for trying 跨省通办 locally: 北京 (110100) runs its own relay,
# approval and seal beside this region's services, on the same PostgreSQL (roles and schemas
# beijing_<service>) and the same Tansu (its topics under the namespace "beijing"), with a relay
# signing key of its own. Each relay's partner registry names the other. Sourced by run.sh after
# infra.sh and lib/services.sh; TONGBAN_PARTNER=none leaves the partner out.

PARTNER_REGION=110100
PARTNER_NAME="北京市"
PARTNER_PREFIX=beijing
PARTNER_SERVICES=(relay approval seal)
declare -A PARTNER_PORTS=([relay]=8182 [approval]=8183 [seal]=8184)

# Writes a partner registry (see Docs/relay.md) naming one partner: region, name, public key, inbox.
partner_registry() {
  local region="$1" name="$2" public_key_file="$3" inbox_topic="$4"
  printf '{"partners": [{"region": "%s", "name": "%s", "keys": [%s], "inbox": {"bootstrapServers": "%s", "topic": "%s"}}]}\n' \
    "$region" "$name" "$(cat "$public_key_file")" "$TONGBAN_KAFKA_BOOTSTRAP_SERVERS" "$inbox_topic"
}

# The partner's roles and schemas and its relay key (kept across runs), and both registries; the
# home relay is pointed at its registry naming the partner. After services_prepare.
partner_prepare() {
  local partner_dir="$PROFILE_DIR/partner-$PARTNER_REGION" home_relay_dir="$PROFILE_DIR/relay"
  "$BIN/tongban" database setup --prefix "$PARTNER_PREFIX" | sed "s/^/[$TONGBAN_PROFILE]   /" >&2
  "$BIN/tongban" relay keygen --region "$PARTNER_REGION" --directory "$partner_dir/relay" >/dev/null
  partner_registry "${TONGBAN_REGION:-130100}" "石家庄市" "$home_relay_dir/relay-public-key.jwk" \
    "${TONGBAN_TOPIC_NAMESPACE:+$TONGBAN_TOPIC_NAMESPACE.}tongban.relay.inbox.v1" >"$partner_dir/relay/partners.json"
  partner_registry "$PARTNER_REGION" "$PARTNER_NAME" "$partner_dir/relay/relay-public-key.jwk" \
    "$PARTNER_PREFIX.tongban.relay.inbox.v1" >"$home_relay_dir/local-partners.json"
  export TONGBAN_RELAY_PARTNERS_FILE="$home_relay_dir/local-partners.json"
  export TONGBAN_PARTNER_APPROVAL_URL="http://127.0.0.1:${PARTNER_PORTS[approval]}"
}

# Starts the partner's services in the background, beside the home region's (SERVICE_PIDS), so
# services_stop stops them too.
partner_start() {
  local partner_dir="$PROFILE_DIR/partner-$PARTNER_REGION" service name
  for service in "${PARTNER_SERVICES[@]}"; do
    name="$PARTNER_PREFIX-$service"
    TONGBAN_REGION="$PARTNER_REGION" TONGBAN_TOPIC_NAMESPACE="$PARTNER_PREFIX" TONGBAN_HTTP_PORT="${PARTNER_PORTS[$service]}" \
      TONGBAN_DATABASE_SCHEMA="${PARTNER_PREFIX}_$service" \
      TONGBAN_DATABASE_URL="postgresql://${PARTNER_PREFIX}_$service:$PARTNER_PREFIX-$service-local-password@127.0.0.1:$PG_PORT/$PG_DATABASE" \
      TONGBAN_SEAL_PUBLIC_URL="http://127.0.0.1:${PARTNER_PORTS[seal]}" \
      TONGBAN_RELAY_SIGNING_KEY_FILE="$partner_dir/relay/relay-signing-key.jwk" TONGBAN_RELAY_PARTNERS_FILE="$partner_dir/relay/partners.json" \
      "$BIN/$service" >>"$SERVICES_LOG_DIR/$name.log" 2>&1 &
    SERVICE_PIDS[$name]=$!
    printf '%s\n' "$!" >"$SERVICES_PID_DIR/$name.pid"
  done
}

# Waits until the partner's services answer /readyz.
partner_wait_ready() {
  local service
  for service in "${PARTNER_SERVICES[@]}"; do
    for _ in $(seq "${1:-60}0"); do
      curl -fs "http://127.0.0.1:${PARTNER_PORTS[$service]}/readyz" >/dev/null 2>&1 && continue 2
      sleep 0.1
    done
    infra_say "the partner's $service did not come up; see $SERVICES_LOG_DIR/$PARTNER_PREFIX-$service.log"
    return 1
  done
}
