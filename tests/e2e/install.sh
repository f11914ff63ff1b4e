#!/bin/sh
# make install and make uninstall, for real, with two prefixes:
#   A  DESTDIR=<tmp>/stage, the defaults (PREFIX=/usr/local, SYSCONFDIR=/etc): a staged install
#      as packagers do it;
#   B  no DESTDIR, PREFIX=<tmp>/opt/gpu-sriov and SYSCONFDIR below it, INSTALL_UDEV_RULE=1: the
#      files land where the units and man say, so the installed units are verified with
#      systemd-analyze, the installed exporter loads the installed example web config and serves
#      with it, promtool and amtool check the installed rules and Alertmanager example.
# The list of installed files and their modes must equal tests/e2e/install.manifest (paths with
# {PREFIX} and {SYSCONFDIR}); it is written by this script (--update) and reviewed when it
# changes, e.g. when a runbook is added. An existing configuration file is never replaced;
# uninstall removes every file install wrote except configuration the admin changed.
#
# Usage: install.sh [--update] "MAKE COMMAND" BUILD_DIR (MAKE COMMAND with the same BUILD=)
set -u
update=0
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
mk=$1
build=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top=$(cd "$here/../.." && pwd)
golden="$here/install.manifest"
fixture="$top/tests/fixtures/host_n150"
WORK=$(mktemp -d)
PID=""
trap 'stop_exporter; rm -rf "$WORK"' EXIT
cd "$top" || exit 1

# manifest ROOT DESTDIR PREFIX SYSCONFDIR: "MODE PATH" of every non-directory below ROOT, sorted
# by path, DESTDIR taken off and the configuration directory and the prefix named by placeholders
# (in this order: B's SYSCONFDIR is below its PREFIX).
manifest() {
	find "$1" ! -type d -printf '%m %p\n' |
		sed -e "s| $2/| /|" -e "s| $4/| {SYSCONFDIR}/|" -e "s| $3/| {PREFIX}/|" | LC_ALL=C sort -k2
}

# quiet COMMAND...: the command's status, its output dropped. logged LOG COMMAND...: output to LOG,
# shown when the command fails.
quiet() {
	"$@" >/dev/null 2>&1
}
logged() {
	log=$1
	shift
	"$@" >"$log" 2>&1 && return 0
	sed 's/^/    /' "$log"
	return 1
}

# same_as_golden FILE: FILE equals the manifest, the diff shown otherwise.
same_as_golden() {
	diff -u "$golden" "$1" >"$WORK/diff" && return 0
	sed 's/^/    /' "$WORK/diff"
	echo "    (if the change is intended: sh tests/e2e/install.sh --update '$mk' BUILD_DIR, then review)"
	return 1
}

# unit_line FILE KEY: the values of KEY= lines in FILE, one a line.
unit_line() {
	sed -n "s/^$2=//p" "$1"
}

only_dirs_left() {
	left=$(find "$1" ! -type d)
	[ -z "$left" ] && return 0
	echo "$left" | sed 's/^/    left: /'
	return 1
}

# --- A: staged, default directories.
stage="$WORK/stage"
check "A: make install DESTDIR (defaults)" logged "$WORK/a.log" $mk install DESTDIR="$stage"
manifest "$stage" "$stage" /usr/local /etc >"$WORK/a.manifest"
if [ $update -eq 1 ]; then
	cp "$WORK/a.manifest" "$golden"
	echo "wrote $golden: review it"
	exit 0
fi
check "A: installed files and modes = install.manifest" same_as_golden "$WORK/a.manifest"
u="$stage/usr/local/lib/systemd/system"
check "A: exporter unit runs /usr/local/bin/gpu_sriov_exporter" \
	test "$(unit_line "$u/gpu-sriov-exporter.service" ExecStart | cut -d' ' -f1)" = \
	/usr/local/bin/gpu_sriov_exporter
check "A: helper unit runs /usr/local/sbin/gpu_sriov_helper" \
	test "$(unit_line "$u/gpu-sriov-helper.service" ExecStart | cut -d' ' -f1)" = \
	/usr/local/sbin/gpu_sriov_helper
check "A: socket drop-in runs /usr/local/bin/gpu_sriov_exporter --web.systemd-socket" \
	test "$(unit_line "$stage/usr/local/share/gpu-sriov-exporter/systemd/gpu-sriov-exporter-socket.conf" \
	ExecStart | tail -n 1 | cut -d' ' -f1-2)" = "/usr/local/bin/gpu_sriov_exporter --web.systemd-socket"
check "A: units read /etc/default" test "$(unit_line "$u/gpu-sriov-helper.service" EnvironmentFile)" = \
	/etc/default/gpu-sriov-helper
check "A: installed binaries are the built ones" sh -c "cmp '$build/gpu_sriov_exporter' \
	'$stage/usr/local/bin/gpu_sriov_exporter' && cmp '$build/gpu_sriov_helper' '$stage/usr/local/sbin/gpu_sriov_helper'"
# An admin's allowlist survives a second install and the uninstall.
cfg="$stage/etc/default/gpu-sriov-helper"
echo 'GPU_SRIOV_HELPER_ARGS="--allow-pf=0000:00:02.0=7"' >"$cfg"
$mk install DESTDIR="$stage" >"$WORK/a2.log" 2>&1
check "A: a second install keeps a changed config" grep -q 'allow-pf=0000:00:02.0=7' "$cfg"
check "A: and says so" grep -q "keeping $cfg" "$WORK/a2.log"
check "A: make uninstall" logged "$WORK/a3.log" $mk uninstall DESTDIR="$stage"
check "A: uninstall keeps the changed config" grep -q 'allow-pf=0000:00:02.0=7' "$cfg"
check "A: and says so" grep -q "keeping $cfg (changed since install)" "$WORK/a3.log"
rm -f "$cfg"
check "A: nothing else is left, only directories" only_dirs_left "$stage"
check "A: the package's own directories are gone" \
	test ! -e "$stage/usr/local/share/gpu-sriov-exporter" -a ! -e "$stage/usr/local/share/doc/gpu-sriov-exporter"

# --- B: a real prefix, the udev rule too.
p="$WORK/opt/gpu-sriov"
etc="$p/etc"
set -- PREFIX="$p" SYSCONFDIR="$etc"
check "B: make install PREFIX=$p INSTALL_UDEV_RULE=1" logged "$WORK/b.log" \
	$mk install "$@" INSTALL_UDEV_RULE=1
manifest "$WORK/opt" "" "$p" "$etc" >"$WORK/b.manifest"
{
	cat "$golden"
	echo "644 {SYSCONFDIR}/udev/rules.d/70-gpu-sriov-helper.rules"
} | LC_ALL=C sort -k2 >"$WORK/b.expected"
check "B: installed files = install.manifest + the udev rule" diff -u "$WORK/b.expected" "$WORK/b.manifest"
check "B: the udev rule is the shipped one" \
	cmp -s exporter/70-gpu-sriov-helper.rules "$etc/udev/rules.d/70-gpu-sriov-helper.rules"
u="$p/lib/systemd/system"
check "B: exporter unit runs $p/bin/gpu_sriov_exporter" \
	test "$(unit_line "$u/gpu-sriov-exporter.service" ExecStart | cut -d' ' -f1)" = "$p/bin/gpu_sriov_exporter"
check "B: helper unit runs $p/sbin/gpu_sriov_helper" \
	test "$(unit_line "$u/gpu-sriov-helper.service" ExecStart | cut -d' ' -f1)" = "$p/sbin/gpu_sriov_helper"
check "B: units read $etc/default" \
	test "$(unit_line "$u/gpu-sriov-exporter.service" EnvironmentFile)" = "-$etc/default/gpu-sriov-exporter"
check "B: no unit names another prefix" sh -c "! grep -h '/usr/local\|/usr/bin\|/usr/sbin' '$u'/* \
	'$p/share/gpu-sriov-exporter/systemd/gpu-sriov-exporter-socket.conf'"

# systemd-analyze verify needs ExecStart to exist: it does, this is the real prefix. The drop-in
# goes where README tells the admin to put it.
dropin="$WORK/admin/gpu-sriov-exporter.service.d"
mkdir -p "$dropin"
cp "$p/share/gpu-sriov-exporter/systemd/gpu-sriov-exporter-socket.conf" "$dropin/socket.conf"
# verify UNIT_PATH UNIT...: no error and no message.
verify() {
	path=$1
	shift
	SYSTEMD_UNIT_PATH="$path:" systemd-analyze verify --man=no "$@" >"$WORK/verify.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$WORK/verify.out" ] || { cat "$WORK/verify.out"; return 1; }
}
check "B: systemd-analyze verify gpu-sriov-exporter.service" verify "$u" "$u/gpu-sriov-exporter.service"
check "B: systemd-analyze verify gpu-sriov-helper.service" verify "$u" "$u/gpu-sriov-helper.service"
# Verifying the socket alone does not check the service's ExecStart; name the service too.
check "B: systemd-analyze verify gpu-sriov-exporter.socket and .service with the drop-in" \
	verify "$WORK/admin:$u" "$u/gpu-sriov-exporter.socket" gpu-sriov-exporter.service
# That verify read the drop-in: the same with the drop-in's ExecStart broken fails.
mkdir -p "$WORK/broken/gpu-sriov-exporter.service.d"
sed "s|$p/bin/gpu_sriov_exporter|$p/bin/nonexistent|" "$dropin/socket.conf" \
	>"$WORK/broken/gpu-sriov-exporter.service.d/socket.conf"
check "B: ... which covers the drop-in (a broken ExecStart there fails)" \
	sh -c "! SYSTEMD_UNIT_PATH='$WORK/broken:$u:' systemd-analyze verify --man=no \
	'$u/gpu-sriov-exporter.socket' gpu-sriov-exporter.service >/dev/null 2>&1"
check "B: man finds both pages below the prefix" quiet sh -c "MANPATH='$p/share/man' man -w gpu_sriov_exporter &&
	MANPATH='$p/share/man' man -w 8 gpu_sriov_helper"

# The example web config, as shipped: promtool and the installed exporter accept it.
ex="$p/share/gpu-sriov-exporter/examples/web-config.example.yml"
bin="$p/bin/gpu_sriov_exporter"
check "B: promtool check web-config accepts the example" quiet promtool check web-config "$ex"
# shellcheck disable=SC2046
check "B: the installed exporter loads it (--once)" sh -c "'$bin' --once --web.config.file='$ex' \
	$(fixture_args "$fixture") >'$WORK/once.prom' 2>'$WORK/once.log' && grep -q '^gpu_sriov_iommu_enabled 1' '$WORK/once.prom'"
# A broken copy is refused the same way, so the check above can fail.
printf 'tls_server_config:\n  cert_file: /nonexistent.crt\n' >"$WORK/broken.yml"
# shellcheck disable=SC2046
"$bin" --once --web.config.file="$WORK/broken.yml" $(fixture_args "$fixture") >/dev/null 2>&1
check "B: ... and refuses a broken one (exit 2)" test $? -eq 2

# Every documented setting switched on ("#key" lines uncommented), with real certificates and a
# password: both checkers accept it and the exporter serves with it.
W="$WORK/pki"
mkdir -p "$W"
. "$here/pki.sh"
make_ca
issue tls "IP:127.0.0.1" serverAuth
issue client "DNS:prometheus.example" clientAuth
hash=$(htpasswd -nbBC 5 "" s3cret | tr -d ':\n')
sed -e 's/^#\([^ ]\|  \)/\1/' -e "s|/etc/gpu-sriov-exporter/tls|$W/tls|" \
	-e "s|/etc/gpu-sriov-exporter/client-ca.crt|$W/ca.crt|" \
	-e "s|BCRYPT_HASH_OF_THE_PASSWORD|$hash|" "$ex" >"$WORK/full.yml"
sed '/^rate_limit:/,$d' "$WORK/full.yml" >"$WORK/full-no-rate-limit.yml"
check "B: uncommented, every setting is on" sh -c "grep -q '^tls_server_config:' '$WORK/full.yml' &&
	grep -q '^basic_auth_users:' '$WORK/full.yml' && grep -q '^    X-Frame-Options: deny' '$WORK/full.yml' &&
	grep -q '^rate_limit:' '$WORK/full.yml' && ! grep -q '^#[^ ]' '$WORK/full.yml'"
check "B: promtool accepts it (without rate_limit, newer than promtool 2.42)" \
	quiet promtool check web-config "$WORK/full-no-rate-limit.yml"
# shellcheck disable=SC2046
start_exporter "$bin" --web.config.file="$WORK/full.yml" $(fixture_args "$fixture")
check "B: the exporter starts with it" test -n "$PORT"
curl_tls() {
	curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --cacert "$W/ca.crt" \
		--cert "$W/client.crt" --key "$W/client.key" "$@" "https://127.0.0.1:$PORT/metrics"
}
check "B: TLS + client certificate + password: 200 with metrics" sh -c \
	"[ \"\$($(command -v curl) -s -o '$WORK/body' -D '$WORK/headers' -w '%{http_code}' --cacert '$W/ca.crt' \
	--cert '$W/client.crt' --key '$W/client.key' -u prometheus:s3cret https://127.0.0.1:$PORT/metrics)\" = 200 ] &&
	grep -q '^gpu_sriov_iommu_enabled 1' '$WORK/body'"
check "B: with the configured headers" grep -qi '^X-Frame-Options: deny' "$WORK/headers"
check "B: wrong password: 401" test "$(curl_tls -u prometheus:wrong)" = 401
check "B: no client certificate: refused" sh -c "! curl -sf --cacert '$W/ca.crt' -u prometheus:s3cret \
	https://127.0.0.1:$PORT/metrics >/dev/null"
stop_exporter

# The alert rules, the Alertmanager example and the dashboard as installed.
share="$p/share/gpu-sriov-exporter"
check "B: promtool check rules on the installed rules" \
	quiet promtool check rules "$share/alerts/gpu-sriov.rules.yml"
check "B: amtool check-config on the installed Alertmanager example" \
	quiet amtool check-config "$share/alerts/alertmanager.example.yml"
check "B: the installed dashboard is JSON with its uid" python3 -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["uid"] != "gpu-sriov-exporter")' "$share/dashboards/gpu-sriov.json"
check "B: a runbook for every alert is installed" sh -c "for a in \$(sed -n 's/^ *- alert: *//p' \
	'$share/alerts/gpu-sriov.rules.yml'); do f=\$(echo \$a | tr A-Z a-z); test -s '$share/alerts/runbooks/'\$f.md ||
	{ echo \"    missing \$f.md\"; exit 1; }; done"

# Uninstall without INSTALL_UDEV_RULE still removes the unchanged rule: nothing is left.
check "B: make uninstall" logged "$WORK/b2.log" $mk uninstall "$@"
check "B: only directories are left" only_dirs_left "$WORK/opt"

report install
