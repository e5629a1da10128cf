#!/bin/bash
# Stands in for Neurodesktop's start_notebook.sh (config/jupyter/): sourced
# by start.sh as the starting user (root), before the user switch. What it
# sets decides what start.sh does next.
export RESTARTABLE=yes
# The image it stands for (desktop.py reads the same file).
_variant=$(cat /neurodesktop-storage/.neurodesk-test-desktop 2>/dev/null || echo 2026-09)
# Sudo: images from 2026-09 default to "packages" (apt only) and stop if the
# policy is not one they know (startup_security.py's configure_sudo);
# earlier ones default to yes.
if [ "$(id -u)" = 0 ]; then
  _default=yes
  [ "${_variant}" = 2026-09 ] && _default=packages
  case "$(echo "${GRANT_SUDO:-${_default}}" | tr '[:upper:]' '[:lower:]')" in
    packages)
      echo "${NB_USER} ALL=(root) NOPASSWD: NOSETENV: /usr/bin/apt, /usr/bin/apt-get" > /etc/sudoers.d/notebook
      chmod 0440 /etc/sudoers.d/notebook
      unset GRANT_SUDO
      echo "sudo policy: packages (apt only)" ;;
    yes|y|true|1) export GRANT_SUDO=yes; echo "sudo policy: yes" ;;
    no|n|false|0) unset GRANT_SUDO; echo "sudo policy: no" ;;
    *) echo "GRANT_SUDO must be packages, yes, or no" >&2; exit 1 ;;
  esac
  unset _default
fi
# Neurodesktop asks start.sh to chown the home when its owner is not
# NB_UID:NB_GID (a home volume made by an older image or another uid).
if [ -d "/home/${NB_USER}" ] && [ "$(stat -c %u:%g "/home/${NB_USER}")" != "${NB_UID}:${NB_GID}" ]; then
  export CHOWN_HOME=yes CHOWN_HOME_OPTS=-R
fi
echo "start-notebook hook as uid $(id -u) for ${NB_USER} ${NB_UID}:${NB_GID}"
