#!/bin/bash
# The test image's way in, written to behave as docker-stacks' start.sh
# (images/docker-stacks-foundation/start.sh), which the Neurodesktop image
# inherits: the image's ENTRYPOINT is `tini -g -- start.sh`, and the app's
# Cmd starts with start.sh again, so this runs twice; the second time it
# only execs its arguments. Run as root it refits jovyan to NB_USER, NB_UID
# and NB_GID, chowns the home when CHOWN_HOME asks, grants sudo with
# GRANT_SUDO, runs the hooks of start-notebook.d (as whoever started the
# container) and before-notebook.d (as root), then execs the command as
# NB_USER through sudo, keeping the environment. See docs/image-contract.md.
set -e

log() { echo "$1[$(date '+%Y-%m-%d %H:%M:%S')] ${*:2}" >&2; }
log INFO "Entered start.sh with args:" "$@"

if [ $# -eq 0 ]; then cmd=(bash); else cmd=("$@"); fi

if [ "${_START_SH_EXECUTED}" = 1 ]; then
  log WARNING "start.sh is the default ENTRYPOINT, do not include it in CMD"
  log INFO "Executing the command:" "${cmd[@]}"
  exec "${cmd[@]}"
fi
export _START_SH_EXECUTED=1

# run_hooks DIR: sources *.sh, runs executables; a failing hook is logged
# and start-up goes on, as docker-stacks' run-hooks.sh does.
run_hooks() {
  log INFO "Running hooks in: $1 as uid: $(id -u) gid: $(id -g)"
  set +e
  for hook in "$1"/*; do
    [ -e "$hook" ] || continue
    case "$hook" in
      *.sh) log INFO "Sourcing shell script: $hook"; source "$hook"; rc=$? ;;
      *) if [ -x "$hook" ]; then log INFO "Running executable: $hook"; "$hook"; rc=$?; else continue; fi ;;
    esac
    set +e
    [ "$rc" -eq 0 ] || log ERROR "$hook has failed, continuing execution"
  done
  set -e
  log INFO "Done running hooks in: $1"
}

run_hooks /usr/local/bin/start-notebook.d

if [ "$(id -u)" != 0 ]; then
  [ "${GRANT_SUDO}" = 1 ] || [ "${GRANT_SUDO}" = yes ] && log WARNING "container must be started as root to grant sudo permissions!"
  run_hooks /usr/local/bin/before-notebook.d
  log INFO "Executing the command:" "${cmd[@]}"
  exec "${cmd[@]}"
fi

if id jovyan >/dev/null 2>&1; then
  # As docker-stacks: a failed rename (NB_USER=root exists already) is not
  # fatal; the refit below works on NB_USER.
  if ! usermod --home "/home/${NB_USER}" --login "${NB_USER}" jovyan 2>&1 | grep "no changes" >/dev/null; then
    log INFO "Updated the jovyan user: jovyan -> ${NB_USER}, /home/jovyan -> /home/${NB_USER}"
  fi
elif ! id -u "${NB_USER}" >/dev/null 2>&1; then
  log FATAL "Neither the jovyan user nor '${NB_USER}' exists."
  exit 1
fi
if [ "${NB_UID}" != "$(id -u "${NB_USER}")" ] || [ "${NB_GID}" != "$(id -g "${NB_USER}")" ]; then
  log INFO "Update ${NB_USER}'s UID:GID to ${NB_UID}:${NB_GID}"
  [ "${NB_GID}" = "$(id -g "${NB_USER}")" ] || groupadd --force --gid "${NB_GID}" --non-unique "${NB_GROUP:-${NB_USER}}"
  userdel "${NB_USER}"
  # No --non-unique: like docker-stacks, NB_UID=0 needs NB_USER=root.
  useradd --no-log-init --home "/home/${NB_USER}" --shell /bin/bash --uid "${NB_UID}" --gid "${NB_GID}" --groups 100 "${NB_USER}"
fi
root_user=no
if [ "${NB_USER}" = root ] && [ "${NB_UID}" = 0 ] && [ "${NB_GID}" = 0 ]; then
  root_user=yes
  sed -i "s|:/root:|:/home/root:|" /etc/passwd
fi
if [ "${NB_USER}" != jovyan ] && [ ! -e "/home/${NB_USER}" ]; then
  log INFO "Attempting to copy /home/jovyan to /home/${NB_USER}..."
  mkdir "/home/${NB_USER}"
  cp -a /home/jovyan/. "/home/${NB_USER}/"
fi
if [ "${NB_USER}" != jovyan ] && [[ "${PWD}/" == /home/jovyan/* ]]; then
  cd "/home/${NB_USER}/${PWD:13}"
fi
if [ "${CHOWN_HOME}" = 1 ] || [ "${CHOWN_HOME}" = yes ]; then
  log INFO "Ensuring /home/${NB_USER} is owned by ${NB_UID}:${NB_GID} ${CHOWN_HOME_OPTS:+(chown options: ${CHOWN_HOME_OPTS})}"
  # shellcheck disable=SC2086 # options, split on purpose
  chown ${CHOWN_HOME_OPTS} "${NB_UID}:${NB_GID}" "/home/${NB_USER}"
fi
if [ "${GRANT_SUDO}" = 1 ] || [ "${GRANT_SUDO}" = yes ]; then
  log INFO "Granting ${NB_USER} passwordless sudo rights!"
  echo "${NB_USER} ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/added-by-start-script
fi

run_hooks /usr/local/bin/before-notebook.d

log INFO "Running as ${NB_USER}:" "${cmd[@]}"
if [ "$root_user" = yes ]; then
  HOME=/home/root exec "${cmd[@]}"
fi
exec sudo --preserve-env --set-home --user "${NB_USER}" PATH="${PATH}" PYTHONPATH="${PYTHONPATH:-}" "${cmd[@]}"
