#!/bin/bash
# The status page at / in a real browser: headless Chromium, with JavaScript switched off in its
# profile, loads the page from an exporter running on a fixture, and what it shows is compared
# with the fixture's golden metrics.txt (PFs and VF counts, VF rows with their VMs, DKMS per
# kernel, IOMMU, watchdog, render nodes, engine busy, collectors). Scenarios: host_n150,
# guest_vf, host_pf_to_vm, and a copy of host_n150 with a failing collector and a VM name made of
# markup. A screenshot of each is kept in ARTEFACTS/status-<scenario>.png. curl checks the
# headers (Content-Type, Cache-Control: no-store, HEAD without body, basic auth on / too).
set -u
bin=$1
artefacts=${2:-build/artefacts}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fixtures="$here/../fixtures"
WORK=$(mktemp -d)
trap 'stop_exporter; rm -rf "$WORK"' EXIT
mkdir -p "$artefacts" "$WORK/home"
DASH=$(printf '\342\200\224')

# browse OUT ARGS...: one headless Chromium run on a fresh profile whose content settings block
# JavaScript, stdout to OUT. It runs in its own session and process group, bounded by timeout;
# whatever it leaves behind in that group is killed afterwards.
runs=0
browse() {
	out=$1
	shift
	runs=$((runs + 1))
	profile="$WORK/profile.$runs"
	mkdir -p "$profile/Default"
	echo '{"profile":{"default_content_setting_values":{"javascript":2}}}' \
		>"$profile/Default/Preferences"
	HOME="$WORK/home" setsid -w timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$profile" "$@" >"$out" 2>>"$WORK/chromium.log" &
	bpid=$!
	wait $bpid
	rc=$?
	kill -KILL -- "-$bpid" 2>/dev/null
	return $rc
}

# page NAME: loads / into $WORK/NAME.dom and what a reader sees into $WORK/NAME.txt.
page() {
	browse "$WORK/$1.dom" --dump-dom "http://127.0.0.1:$PORT/" &&
		python3 "$here/status_page.py" dom <"$WORK/$1.dom" >"$WORK/$1.txt"
}

has() { grep -Fxq -- "$2" "$WORK/$1.txt" || { echo "  missing in $1: $2" >&2; return 1; }; }
rows() { grep -c "^row $2: " "$WORK/$1.txt"; }

# Golden helpers: lines of family $1 (optionally matching $2), a label of a line on stdin, its value.
series() { if [ -n "${2:-}" ]; then grep "^$1{$2" "$golden"; else grep -E "^$1[{ ]" "$golden"; fi; }
label() { sed -n "s/.*[{,]$1=\"\([^\"]*\)\".*/\1/p"; }
value() { awk '{ print $NF }'; }
yes_no() { if [ "$1" = 1 ]; then echo yes; else echo no; fi; }
or_dash() { if [ -n "$1" ]; then echo "$1"; else echo "$DASH"; fi; }

# The JavaScript switch is real: a page whose script would rewrite its text keeps it.
printf '<p id=x>static</p><script>document.getElementById("x").textContent="ran"</script>' \
	>"$WORK/canary.html"
browse "$WORK/canary.dom" --dump-dom "file://$WORK/canary.html"
check "the browser profile runs no JavaScript" grep -q '<p id="x">static</p>' "$WORK/canary.dom"

# check_golden NAME: every section of page NAME against $golden.
check_golden() {
	n=$1
	check "$n: title" has "$n" "title: GPU SR-IOV Exporter"
	check "$n: links to the metrics and health" sh -c \
		"grep -qx 'link: metrics' '$WORK/$n.txt' && grep -qx 'link: healthz' '$WORK/$n.txt'"
	check "$n: no script, frame or event handler in the DOM" sh -c \
		"! grep -q -e '^element ' -e '^attr ' '$WORK/$n.txt' && ! grep -qi '<script' '$WORK/$n.dom'"

	# PFs: address, device, driver, enabled/expected, supported, driver ok, VM holding the PF.
	check "$n: one PF row per PF" test "$(rows "$n" PF)" = "$(series gpu_sriov_pf_info | wc -l)"
	series gpu_sriov_pf_info | while read -r line; do
		pf=$(echo "$line" | label pci_address)
		m="pci_address=\"$pf\"}"
		en=$(series gpu_sriov_vfs_enabled "$m" | value)
		ex=$(series gpu_sriov_vfs_expected "$m" | value)
		row="row PF: $pf | $(echo "$line" | label name) | $(echo "$line" | label driver)"
		row="$row | $(or_dash "$en")/$(or_dash "$ex")"
		row="$row | $(or_dash "$(series gpu_sriov_vfs_supported "$m" | value)")"
		row="$row | $(yes_no "$(series gpu_sriov_pf_driver_ok "$m" | value)")"
		row="$row | $(or_dash "$(grep "^gpu_sriov_vm_pf_assigned{.*pci_address=\"$pf\"" "$golden" | label vmid)")"
		echo "$row"
	done >"$WORK/$n.want"
	check "$n: PF rows (VFs enabled/expected as in the golden file)" sh -c \
		"while read -r r; do grep -Fxq -- \"\$r\" '$WORK/$n.txt' || exit 1; done <'$WORK/$n.want'"

	# VFs: address, number, PF, driver, IOMMU group, VM id and name.
	check "$n: one VF row per VF" test "$(rows "$n" VF)" = "$(series gpu_sriov_vf_info | wc -l)"
	series gpu_sriov_vf_info | while read -r line; do
		vf=$(echo "$line" | label pci_address)
		vmid=$(echo "$line" | label vmid)
		vm=$DASH
		if [ -n "$vmid" ]; then
			name=$(series gpu_sriov_vm_hostpci_info "vmid=\"$vmid\",.*pci_address=\"$vf\"" | label name)
			vm="$vmid${name:+ $name}"
		fi
		driver=$(echo "$line" | label driver)
		echo "row VF: $vf | $(echo "$line" | label index) | $(echo "$line" | label pf) | ${driver:-(unbound)} | $(echo "$line" | label iommu_group) | $vm"
	done >"$WORK/$n.want"
	check "$n: VF rows (driver, IOMMU group, VM as in the golden file)" sh -c \
		"while read -r r; do grep -Fxq -- \"\$r\" '$WORK/$n.txt' || exit 1; done <'$WORK/$n.want'"

	# DKMS: one row per module, version and kernel; the running kernel marked.
	running=$(series gpu_sriov_kernel_info | label release)
	series gpu_sriov_dkms_module_state | grep ' 1$' | while read -r line; do
		mod=$(echo "$line" | label module)
		ver=$(echo "$line" | label version)
		k=$(echo "$line" | label kernel)
		mark=""
		[ "$k" = "$running" ] && mark=" (running)"
		series gpu_sriov_installed_kernel_info "release=\"$k\",.*newest=\"true\"" >/dev/null &&
			mark="$mark (newest)"
		failed=$(series gpu_sriov_dkms_build_failed "module=\"$mod\",version=\"$ver\",kernel=\"$k\"" | value)
		build=$DASH
		[ "$failed" = 1 ] && build=failed
		ready=$(yes_no "$(series gpu_sriov_dkms_ready "module=\"$mod\",kernel=\"$k\"" | value)")
		echo "row Module: $mod | $ver | $k$mark | $(echo "$line" | label state) | $build | $ready"
	done >"$WORK/$n.want"
	check "$n: one DKMS row per module and kernel" \
		test "$(rows "$n" Module)" = "$(wc -l <"$WORK/$n.want")"
	check "$n: DKMS rows (state, build, ready, running kernel as in the golden file)" sh -c \
		"while read -r r; do grep -Fxq -- \"\$r\" '$WORK/$n.txt' || exit 1; done <'$WORK/$n.want'"
	if [ ! -s "$WORK/$n.want" ]; then
		check "$n: says there is no DKMS module" has "$n" "p: No DKMS module."
	fi

	# IOMMU.
	check "$n: IOMMU enabled" has "$n" "dl: Enabled = $(yes_no "$(series gpu_sriov_iommu_enabled | value)")"
	check "$n: IOMMU units" has "$n" "dl: Units = $(series gpu_sriov_iommu_units | value)"
	check "$n: IOMMU groups" has "$n" "dl: Groups = $(series gpu_sriov_iommu_groups | value)"
	check "$n: IOMMU default domain" has "$n" \
		"dl: Default domain = $(or_dash "$(series gpu_sriov_iommu_default_domain_info | label type | tr '\n' ' ' | sed 's/ $//')")"

	# Watchdog (off in every fixture run).
	check "$n: watchdog off" test "$(series gpu_sriov_watchdog_enabled | value)" = 0
	check "$n: page says the watchdog is off" has "$n" "p: Off (--watchdog.enable turns it on)."

	# Render nodes: present, accessible and the open error.
	check "$n: one row per render node" \
		test "$(rows "$n" Node)" = "$(series gpu_sriov_render_node_present | wc -l)"
	series gpu_sriov_render_node_present | while read -r line; do
		node=$(echo "$line" | label render_node)
		m="render_node=\"$node\""
		echo "row Node: $node | $(echo "$line" | label pci_address) | $(or_dash "$(series gpu_sriov_drm_card_info ".*$m" | label function)") | $(yes_no "$(echo "$line" | value)") | $(yes_no "$(series gpu_sriov_render_node_accessible "$m" | value)") | $(or_dash "$(series gpu_sriov_render_node_open_error_info "$m" | label error)")"
	done >"$WORK/$n.want"
	check "$n: render node rows (present, accessible, error as in the golden file)" sh -c \
		"while read -r r; do grep -Fxq -- \"\$r\" '$WORK/$n.txt' || exit 1; done <'$WORK/$n.want'"

	# Collectors: the count of successes, and an alert naming each failure.
	ok=$(series gpu_sriov_scrape_collector_success | grep -c ' 1$')
	check "$n: $ok collectors ok" has "$n" "p: $ok ok"
	check "$n: no failed-collector alert" sh -c "! grep -q '^alert: ' '$WORK/$n.txt'"
}

# busy_rows NAME: the engine busy rows from the golden file (PMU ones are left out of it), with
# the busy cell as given by $1 of the caller.
busy_want() {
	series gpu_sriov_engine_busy_seconds_total | while read -r line; do
		echo "row PCI address: $(echo "$line" | label pci_address) | $(echo "$line" | label engine) | $(echo "$line" | label class) | $(echo "$line" | label source) | $1"
	done
}

# scenario NAME DIR ARGS...: copies DIR (device nodes made), starts the exporter, loads the page
# twice with a screenshot between (so the second view has busy percentages).
scenario() {
	n=$1
	dir=$2
	shift 2
	cp -a "$dir" "$WORK/$n"
	[ -f "$WORK/$n/devices" ] && { make_devices "$WORK/$n" || return 1; }
	# shellcheck disable=SC2046
	start_exporter "$bin" $(fixture_args "$WORK/$n") "$@" || return 1
	page "$n" || return 1
	sleep 1.1
	browse "$WORK/shot" --hide-scrollbars --window-size=1280,1600 \
		--screenshot="$artefacts/status-$n.png" "http://127.0.0.1:$PORT/"
	sleep 1.1
	page "$n.2"
}

# A screenshot of a page with one word, for scale: a real render of the status page is several
# times its size.
printf '<p>blank</p>' >"$WORK/blank.html"
browse "$WORK/shot" --hide-scrollbars --window-size=1280,1600 --screenshot="$WORK/blank.png" \
	"file://$WORK/blank.html"
blank=$(stat -c %s "$WORK/blank.png" 2>/dev/null || echo 0)
check "reference screenshot taken ($blank bytes)" test "$blank" -gt 0
shot_ok() {
	python3 "$here/status_page.py" png "$artefacts/status-$1.png" >"$WORK/png" || return 1
	size=$(stat -c %s "$artefacts/status-$1.png")
	echo "  status-$1.png: $(cat "$WORK/png"), $size bytes"
	grep -qx '1280x1600' "$WORK/png" && [ "$size" -gt $((blank * 3)) ]
}

# --- host_n150: the seed's healthy host
golden="$fixtures/host_n150/metrics.txt"
scenario host_n150 "$fixtures/host_n150" || exit 1
check_golden host_n150
check "host_n150: 7/7 marked ok" grep -q 'class="n ok"[^>]*>7/7</td>' "$WORK/host_n150.dom"
check "host_n150: VF 02.1 in VM 101" has host_n150 \
	"row VF: 0000:00:02.1 | 1 | 0000:00:02.0 | vfio-pci | 1 | 101 docker-vm"
check "host_n150: first view has no busy figure yet" \
	grep -q '^p: First view since the exporter started' "$WORK/host_n150.txt"
# PMU counters are real perf events (not in the golden file): every engine gets a figure later.
check "host_n150: second view gives every PMU engine a busy figure" sh -c \
	"grep '^row PCI address: .* | pmu | ' '$WORK/host_n150.2.txt' >'$WORK/pmu' &&
	 ! grep -qv ' | [0-9][0-9.]* %\$' '$WORK/pmu'"
check "host_n150: screenshot is a real render" shot_ok host_n150

# Headers, with curl, on the same exporter.
fetch() { curl -s -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "$@"; }
header() { tr -d '\r' <"$WORK/h" | sed -n "s/^$1: //Ip" | head -n 1; }
base="http://127.0.0.1:$PORT"
check "GET / is 200" test "$(fetch "$base/")" = 200
check "/ is text/html; charset=UTF-8" test "$(header Content-Type)" = "text/html; charset=UTF-8"
check "/ is not cached" test "$(header Cache-Control)" = "no-store"
check "/ announces its length" test "$(header Content-Length)" = "$(stat -c %s "$WORK/b")"
raw_head() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf 'HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	cat <&3 >"$WORK/raw"
	exec 3<&-
	awk 'body { n += length($0) + 1 } /^\r?$/ { body = 1 } END { exit n != 0 }' "$WORK/raw" &&
		grep -q '^HTTP/1.[01] 200' "$WORK/raw" &&
		grep -qi '^Content-Type: text/html; charset=UTF-8' "$WORK/raw" &&
		grep -qi '^Cache-Control: no-store' "$WORK/raw"
}
check "HEAD / has the headers and no body" raw_head
stop_exporter

# Basic auth guards / as it guards the metrics.
cat >"$WORK/auth.yml" <<EOF
basic_auth_users:
  alice: $(htpasswd -nbBC 5 "" wonderland | tr -d ':\n')
EOF
# shellcheck disable=SC2046
start_exporter "$bin" $(fixture_args "$WORK/host_n150") --web.config.file="$WORK/auth.yml" || exit 1
check "/ without credentials is 401" test "$(fetch "http://127.0.0.1:$PORT/")" = 401
check "401 shows no status" sh -c "! grep -q 0000:00:02 '$WORK/b'"
check "/ with credentials is 200" test "$(fetch -u alice:wonderland "http://127.0.0.1:$PORT/")" = 200
check "... and shows the PF" grep -q '0000:00:02.0' "$WORK/b"
stop_exporter

# --- guest_vf: the Frigate VM (no PF, a render node, fdinfo engine busy)
golden="$fixtures/guest_vf/metrics.txt"
# shellcheck disable=SC2046
scenario guest_vf "$fixtures/guest_vf" $(cat "$fixtures/guest_vf/args") || exit 1
check_golden guest_vf
check "guest_vf: no PF here" grep -q '^p: No SR-IOV physical function here' "$WORK/guest_vf.txt"
check "guest_vf: not 'no GPU'" sh -c "! grep -q 'No SR-IOV GPU found' '$WORK/guest_vf.txt'"
busy_want "$DASH" >"$WORK/busy1"
busy_want "0.0 %" >"$WORK/busy2"
check "guest_vf: busy rows from the golden file" test "$(wc -l <"$WORK/busy1")" -eq 5
check "guest_vf: first view shows a dash per engine" sh -c \
	"while read -r r; do grep -Fxq -- \"\$r\" '$WORK/guest_vf.txt' || exit 1; done <'$WORK/busy1'"
# The fixture's fdinfo counters stand still: 0 % busy over the time between views.
check "guest_vf: second view shows 0.0 % per engine" sh -c \
	"while read -r r; do grep -Fxq -- \"\$r\" '$WORK/guest_vf.2.txt' || exit 1; done <'$WORK/busy2'"
check "guest_vf: second view says over how long" \
	grep -q '^p: Over the [0-9.]* s since the previous view of this page\.$' "$WORK/guest_vf.2.txt"
check "guest_vf: screenshot is a real render" shot_ok guest_vf
stop_exporter

# --- host_pf_to_vm: a VM config passes the PF, so no VF exists
golden="$fixtures/host_pf_to_vm/metrics.txt"
scenario host_pf_to_vm "$fixtures/host_pf_to_vm" || exit 1
check_golden host_pf_to_vm
check "host_pf_to_vm: 0/7 marked bad" grep -q 'class="n bad"[^>]*>0/7</td>' "$WORK/host_pf_to_vm.dom"
check "host_pf_to_vm: VM 101's missing VF named" has host_pf_to_vm \
	"p: VM 101 (hostpci0) is configured with 0000:00:02.1, which does not exist: it will not start."
check "host_pf_to_vm: screenshot is a real render" shot_ok host_pf_to_vm
stop_exporter

# --- hostile: host_n150 with the kernel collector failing and markup as VM 101's name
hostile_name='<script>alert(1)</script><img src=x onerror=alert(2)>"&'"'"
cp -a "$fixtures/host_n150" "$WORK/hostile.src"
rm "$WORK/hostile.src/proc/sys/kernel/osrelease"
conf=$(grep -rl '^name: docker-vm' "$WORK/hostile.src/root/etc/pve")
awk -v n="name: $hostile_name" '/^name: docker-vm$/ { print n; next } { print }' "$conf" >"$WORK/conf"
cat "$WORK/conf" >"$conf"
scenario hostile "$WORK/hostile.src" || exit 1
check "hostile: failed collector named in an alert" grep -q '^alert: Failed collector: kernel\. ' \
	"$WORK/hostile.txt"
check "hostile: collectors line counts the failure" has hostile "p: 9 ok, 1 failed"
check "hostile: the VM name shows as text" has hostile \
	"row VF: 0000:00:02.1 | 1 | 0000:00:02.0 | vfio-pci | 1 | 101 $hostile_name"
check "hostile: no script, image or event handler in the DOM" sh -c \
	"! grep -q -e '^element ' -e '^attr ' '$WORK/hostile.txt' && ! grep -qi -e '<script' -e '<img' '$WORK/hostile.dom'"
check "hostile: the rest of the page is intact" has hostile \
	"row VF: 0000:00:02.2 | 2 | 0000:00:02.0 | vfio-pci | 2 | 102 win11"
check "hostile: screenshot is a real render" shot_ok hostile
stop_exporter

# The bracket keeps pgrep from matching the shell that runs it.
check "no Chromium process left behind" sh -c "! pgrep -f -- '[-]-user-data-dir=$WORK/' >/dev/null"
report status-page-test
