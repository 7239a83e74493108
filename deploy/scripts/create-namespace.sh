#!/bin/sh
# Creates the namespace and this project's search attributes (idempotent: safe to run on every start).
set -eu
: "${TEMPORAL_ADDRESS:?}"
NAMESPACE="${DEFAULT_NAMESPACE:-default}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" | grep -q SERVING; do sleep 1; done
temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS"
for attribute in LiteLLMOrgId LiteLLMUserId LiteLLMTeamId LiteLLMState; do
  temporal operator search-attribute create --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" \
    --name "$attribute" --type Keyword 2>/dev/null || true
done
