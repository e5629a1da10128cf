#!/bin/bash
# Stands in for Neurodesktop's print_access_url.sh: once Jupyter answers,
# the login link, token included, as the container log's last lines.
for _ in $(seq 1 180); do
  (exec 3<>/dev/tcp/127.0.0.1/8888) 2>/dev/null && break
  sleep 1
done
sleep 1
printf '==========================================================================\r\n'
printf ' Neurodesktop is ready. Open this link in your browser:\r\n\r\n'
printf '     http://localhost:8888/lab?token=%s\r\n' "${JUPYTER_TOKEN}"
printf '==========================================================================\r\n'
