#!/bin/sh
# The alert path end to end with the real servers: the exporter on a writable copy of host_n150,
# Prometheus (1 s scrape and evaluation, the shipped rules with every for: set to 1s), Alertmanager
# and a webhook receiver, all on 127.0.0.1 with random ports and temporary directories. Removing
# the PF's virtfn links must bring a GpuSriovVfsLost notification with the right labels;
# restoring them, the resolved notification.
set -u
exporter=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top=$(cd "$here/../.." && pwd)
WORK=$(mktemp -d)
PPID_=""; APID=""; WPID=""
cleanup() {
	stop_exporter
	for p in $PPID_ $APID $WPID; do kill "$p" 2>/dev/null; done
	for p in $PPID_ $APID $WPID; do wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s; }
# wait_until SECONDS COMMAND...: polls every 0.5 s.
wait_until() {
	end=$(( $(now) + $1 )); shift
	while [ "$(now)" -le "$end" ]; do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}

H="$WORK/host"
cp -a "$here/../fixtures/host_n150" "$H"
make_devices "$H" || exit 1
PFDIR="$H/sys/devices/pci0000:00/0000:00:02.0"

start_exporter "$exporter" $(fixture_args "$H") || exit 1
EPORT=$PORT

# Webhook receiver.
python3 "$here/alert_webhook.py" "$WORK/wh.port" "$WORK/notifications" &
WPID=$!
wait_until 10 test -s "$WORK/wh.port" || { echo "webhook did not start"; exit 1; }
WHPORT=$(cat "$WORK/wh.port")

# Alertmanager.
AMPORT=$(free_port)
cat >"$WORK/am.yml" <<EOT
route:
  receiver: hook
  group_by: [alertname, instance, pci_address]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$WHPORT/
        send_resolved: true
EOT
mkdir "$WORK/am"
prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/am" \
	--web.listen-address=127.0.0.1:$AMPORT --cluster.listen-address= >"$WORK/am.log" 2>&1 &
APID=$!

# Prometheus with the shipped rules, for: shortened to 1s.
PPORT=$(free_port)
sed 's/^\( *for:\) .*/\1 1s/' "$top/alerts/gpu-sriov.rules.yml" >"$WORK/rules.yml"
cat >"$WORK/prom.yml" <<EOT
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$AMPORT']
scrape_configs:
  - job_name: gpu-sriov-exporter
    static_configs:
      - targets: ['127.0.0.1:$EPORT']
EOT
mkdir "$WORK/tsdb"
prometheus --config.file="$WORK/prom.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address=127.0.0.1:$PPORT >"$WORK/prom.log" 2>&1 &
PPID_=$!

q() { curl -fsS "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1"; }
ready() { curl -fsS "http://127.0.0.1:$1/-/ready" >/dev/null 2>&1; }
scraped() { q 'gpu_sriov_vfs_enabled{job="gpu-sriov-exporter",pci_address="0000:00:02.0"} == 7' | grep -q '"value"'; }
check "alertmanager ready" wait_until 60 ready $AMPORT
check "prometheus ready" wait_until 60 ready $PPORT
check "prometheus scrapes 7 VFs" wait_until 60 scraped

# firing/resolved notification for GpuSriovVfsLost with the exporter's labels.
got() {
	python3 - "$WORK/notifications" "$1" "$EPORT" <<'EOT'
import json, sys
path, status, port = sys.argv[1:]
try:
    lines = open(path).read().splitlines()
except FileNotFoundError:
    sys.exit(1)
for l in lines:
    n = json.loads(l)
    for a in n["alerts"]:
        lb = a["labels"]
        if (a["status"] == status and lb.get("alertname") == "GpuSriovVfsLost"
                and lb.get("severity") == "critical" and lb.get("pci_address") == "0000:00:02.0"
                and lb.get("job") == "gpu-sriov-exporter" and lb.get("instance") == "127.0.0.1:" + port
                and a["annotations"].get("runbook_url", "").endswith("/gpusriovvfslost.md")
                and "has 0 VFs enabled but 7 are expected" in a["annotations"].get("description", "")):
            sys.exit(0)
sys.exit(1)
EOT
}
# The rules are evaluated (for: 1s) on the healthy fixture for a few seconds: no VF-loss alert.
no_vfs_lost() { sleep 3; ! grep -q GpuSriovVfsLost "$WORK/notifications" 2>/dev/null; }
check "healthy host: no GpuSriovVfsLost notification" no_vfs_lost

# Break: the PF loses its VFs.
t0=$(now)
rm -f "$PFDIR"/virtfn*
check "VFs lost: firing notification within 90 s" wait_until 90 got firing
t1=$(now)
echo "break -> firing notification: $((t1 - t0)) s"

# Heal: the VF links come back.
i=0
while [ $i -lt 7 ]; do ln -s "../0000:00:02.$((i + 1))" "$PFDIR/virtfn$i"; i=$((i + 1)); done
check "VFs back: resolved notification within 90 s" wait_until 90 got resolved
t2=$(now)
echo "heal -> resolved notification: $((t2 - t1)) s"

if [ "$failed" -gt 0 ]; then
	echo "--- notifications"; cat "$WORK/notifications" 2>/dev/null
	echo "--- prometheus"; tail -20 "$WORK/prom.log"
	echo "--- alertmanager"; tail -20 "$WORK/am.log"
fi
report alerts-e2e
