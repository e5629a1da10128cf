#!/bin/bash
# Stands in for Neurodesktop's start_notebook.sh (config/jupyter/): sourced
# by start.sh as the starting user (root), before the user switch. What it
# sets decides what start.sh does next.
export RESTARTABLE=yes
export GRANT_SUDO="${GRANT_SUDO:-yes}"
# Neurodesktop asks start.sh to chown the home when its owner is not
# NB_UID:NB_GID (a home volume made by an older image or another uid).
if [ -d "/home/${NB_USER}" ] && [ "$(stat -c %u:%g "/home/${NB_USER}")" != "${NB_UID}:${NB_GID}" ]; then
  export CHOWN_HOME=yes CHOWN_HOME_OPTS=-R
fi
echo "start-notebook hook as uid $(id -u) for ${NB_USER} ${NB_UID}:${NB_GID}"
