# Shared helpers of the mail-peer scripts (sourced, not run).

# Unix socket paths must stay under 108 bytes: a long ROOT gets its socket directory in /tmp,
# named after ROOT so that start and stop agree on it.
short_dir() { # short_dir ROOT NAME -> ROOT/NAME, or /tmp/NAME-<hash of ROOT> when ROOT is long
  local root=$1 name=$2
  if [ ${#root} -le 60 ]; then echo "$root/$name"; else echo "/tmp/$name-$(printf '%s' "$root" | sha1sum | cut -c1-12)"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ready means the server's greeting arrived (a bound port alone is not enough: Dovecot binds before
# its auth process is up). Probes every 50 ms for up to 15 s.
wait_for_greeting_once() { # wait_for_greeting_once PORT PREFIX QUIT-COMMAND
  local line
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && read -t 2 -r line <&3 && [[ $line == "$2"* ]] && printf '%s\r\n' "$3" >&3) 2>/dev/null
}
wait_for_greeting() { # wait_for_greeting PORT PREFIX QUIT-COMMAND
  local i
  for i in $(seq 1 300); do
    wait_for_greeting_once "$@" && return 0
    sleep 0.05
  done
  return 1
}

descendants() { # descendants PID -> the PID's children, grandchildren, ... (one per line)
  local child
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$child"; descendants "$child"; done
}

# Stops one master process and everything it spawned, only by pid (never by name): TERM to the
# master, wait until it and its former children are gone, KILL what is left after 10 s.
stop_tree() { # stop_tree PID NAME
  local pid=$1 name=$2 pids i p alive
  pids="$pid $(descendants "$pid" | tr '\n' ' ')"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 200); do
    alive=
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && { echo "$name $pid stopped"; return 0; }
    sleep 0.05
  done
  echo "$name: still alive after 10 s, sending KILL to:$alive" >&2
  for p in $alive; do kill -KILL "$p" 2>/dev/null || true; done
}

require_root() {
  [ "$(id -u)" -eq 0 ] || { echo "$1 must run as root (the mail servers switch to their own system users)" >&2; exit 1; }
}

require_binary() { # require_binary PATH PACKAGE
  [ -x "$1" ] || { echo "$1 not found: install the mail peers first (as root: bash scripts/mail/install-mail-peers.sh; package $2)" >&2; exit 1; }
}

# The servers' own users (dovecot, dovenull, mail, postfix) must reach ROOT: every directory above it
# needs search permission for others (mktemp -d makes 0700 directories).
require_traversable() { # require_traversable DIR
  local dir
  dir=$(dirname "$1")
  while [ "$dir" != / ]; do
    if [ "$(( 0$(stat -c %a "$dir") & 1 ))" -eq 0 ]; then
      echo "$dir is not searchable by other users, so the mail servers cannot reach $1: chmod o+x $dir" >&2
      exit 1
    fi
    dir=$(dirname "$dir")
  done
}
