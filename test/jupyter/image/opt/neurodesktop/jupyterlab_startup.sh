#!/bin/bash
# Stands in for Neurodesktop's jupyterlab_startup.sh: run once as the
# Jupyter user, it links the data folder and a folder mounted at /data into
# the home, where JupyterLab's file browser shows them as
# neurodesktop-storage and data.
echo "user start-up as $(id -un) uid $(id -u)"
if mountpoint -q /neurodesktop-storage && [ ! -e "${HOME}/neurodesktop-storage" ]; then
  ln -s /neurodesktop-storage/ "${HOME}/neurodesktop-storage"
fi
if mountpoint -q /data && [ ! -L "${HOME}/data" ]; then
  ln -s /data "${HOME}/"
fi
