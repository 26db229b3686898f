#!/bin/bash
# The image's HEALTHCHECK, for every role, without starting Node: bash sends one HTTP/1.0 GET over
# its /dev/tcp to the endpoint of the role this container runs (workers' and the board's /readyz,
# the simulator's /health) and passes on a 200. The role is the argument after dist/cli/ordermanagement.js in the
# app's command line, found in /proc whether node is PID 1 or runs under an init.
set -u

role=
for cmdline in /proc/1/cmdline /proc/[0-9]*/cmdline; do
  args=()
  while IFS= read -r -d '' arg; do args+=("$arg"); done <"$cmdline" 2>/dev/null
  for i in "${!args[@]}"; do
    if [[ ${args[i]} == *dist/cli/ordermanagement.js ]]; then
      role=${args[i + 1]:-start}
      break 2
    fi
  done
done

case $role in
  worker | start) host=${HEALTH_HOST:-127.0.0.1} port=${HEALTH_PORT:-0} path=/readyz ;;
  board) host=${BOARD_HOST:-127.0.0.1} port=${BOARD_PORT:-3000} path=/readyz ;;
  sim) host=${SIM_HOST:-127.0.0.1} port=${SIM_ORDER_PORT:-5000} path=/health ;;
  '') echo 'no ordermanagement process' >&2 && exit 1 ;;
  *) exit 0 ;; # scheduler, replay, config: one-shot commands serve nothing to probe
esac
[ "$port" -gt 0 ] 2>/dev/null || { echo "$role: no health port (HEALTH_PORT=0)" >&2 && exit 1; }
# A server listening on every address answers on loopback.
case $host in 0.0.0.0 | :: | '') host=127.0.0.1 ;; esac

exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host" >&3
read -r -t 2 _ status _ <&3 || { echo "$role: no answer from $host:$port$path" >&2 && exit 1; }
[ "$status" = 200 ] || { echo "$role: $host:$port$path answered $status" >&2 && exit 1; }
