#!/usr/bin/env bash
# End-to-end test of the web chat page. The caller starts `chatrec serve` and passes its
# URL in CHATREC_URL (default http://127.0.0.1:7878); see chat_page.test.mjs for the
# other variables. Installs Debian's chromium when it is missing (needs root and apt).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ -z "${CHROMIUM:-}" && ! -x /usr/bin/chromium ]]; then
  echo "tests/web: installing chromium (Debian package)" >&2
  sudo_cmd=()
  [[ "$(id -u)" == 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "tests/web: node and npm are needed (node 20 or newer)" >&2
  exit 1
fi

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
exec node "$here/chat_page.test.mjs"
