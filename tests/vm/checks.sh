#!/bin/sh
# Guest-side scenarios (busybox sh), run by tests/vm/init inside the VM. Result lines go to
# $RESULTS (the second serial port) in the strict form the host parses:
#   PASS <name> | FAIL <name>: <why> | SKIP <name>: <why> | INFO <text> | END <passed> <failed>
# Everything else (metrics, logs) goes to stdout, the kernel console.
RESULTS=${RESULTS:-/dev/stdout}
P=0
F=0
SYS=/sys/bus/pci/devices
URL=http://127.0.0.1:9863/metrics
SOCK=/run/gpu-sriov-exporter/helper.sock

out() { echo "$*" >"$RESULTS"; echo "## $*"; }
pass() { P=$((P + 1)); out "PASS $1"; }
fail() { F=$((F + 1)); out "FAIL $1: $2"; }
skip() { out "SKIP $1: $2"; }
# check NAME WHY COMMAND...: PASS when the command succeeds, FAIL with WHY otherwise.
check() {
	n=$1 w=$2
	shift 2
	if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "$w"; fi
}
scrape() { timeout 10 wget -qO- "$URL" 2>/dev/null; }
# has REGEX: the current scrape has a line matching the extended regular expression.
has() { scrape | grep -Eq "$1"; }
value() { scrape | grep -E "^$1( |\{\} )" | head -n 1 | awk '{print $2}'; }
nvfs() { ls -d "$SYS/$1"/virtfn* 2>/dev/null | wc -l; }
link_name() { [ -e "$1" ] && basename "$(readlink "$1")"; }
# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	t=$(($1 * 10))
	shift
	while [ "$t" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
# write_err VALUE FILE: writes, prints the shell's error text (empty on success).
write_err() { (echo "$1" >"$2") 2>&1; }
# The exporter lists PF $1 as an SR-IOV GPU PF (it only looks at display-class functions).
exporter_sees_pf() { has "^gpu_sriov_pf_info\{[^}]*pci_address=\"$1\""; }

out "INFO kernel $(uname -r) $(cat /proc/version)"
out "INFO cmdline $(cat /proc/cmdline)"

# Devices: the SR-IOV NVMe PFs (bus order) and the virtio-gpu function.
PFS=""
for d in "$SYS"/*; do
	[ -e "$d/sriov_totalvfs" ] && [ ! -e "$d/physfn" ] && PFS="$PFS $(basename "$d")"
done
set -- $PFS
PF1=${1:-none}
PF2=${2:-none}
GPU=""
for d in "$SYS"/*; do
	case $(cat "$d/class") in 0x03*) GPU=$(basename "$d") ;; esac
done
out "INFO devices: PF1=$PF1 ($(cat $SYS/$PF1/class 2>/dev/null)) PF2=$PF2 GPU=$GPU ($(cat $SYS/$GPU/class 2>/dev/null))"
devices_ok() { [ "$PF2" != none ] && [ -n "$GPU" ] && [ "$(link_name "$SYS/$PF1/driver")" = nvme ]; }
check devices_present "expected two SR-IOV NVMe PFs on nvme and a display-class virtio-gpu" devices_ok
devices_ok || { out "END $P $F"; exit 0; }
wait_for 10 test -c /dev/dri/renderD128

# VFs must stay unbound (nvme would try the VFs and give up noisily).
echo 0 >"$SYS/$PF1/sriov_drivers_autoprobe"
echo 0 >"$SYS/$PF2/sriov_drivers_autoprobe"

# Which PCI classes the exporter treats as GPU functions: NVMe (0108) too when it has the flag,
# so the emulated SR-IOV PFs are visible to the sriov collector and the watchdog.
DCLASS=""
gpu_sriov_exporter --help 2>&1 | grep -q -- '--sriov.device-class' &&
	DCLASS="--sriov.device-class=03 --sriov.device-class=0108"
out "INFO exporter device classes: ${DCLASS:-display only (no --sriov.device-class)}"

# The helper may set PF1 to 3 and PF2 to 5, under nvme, and move one VF of PF1 to vfio-pci.
VF_OVR=$(printf '%s' "$PF1" | sed 's/\.0$/.1/')
VF_HLP=$(printf '%s' "$PF1" | sed 's/\.0$/.2/')
gpu_sriov_helper --allow-pf="$PF1=3" --allow-pf="$PF2=5" --allow-vfio="$VF_HLP" --pf-drivers=nvme \
	--log.level=debug --listen=$SOCK >/tmp/helper.log 2>&1 &
HPID=$!
wait_for 5 test -S $SOCK || fail helper_up "no socket $SOCK in 5s"

# start_exporter NAME FLAGS...: one exporter on the default port, its log in /tmp/NAME.log.
start_exporter() {
	EXNAME=$1
	shift
	gpu_sriov_exporter --log.level=debug $DCLASS "$@" >/tmp/$EXNAME.log 2>&1 &
	EPID=$!
	if wait_for 15 scrape; then pass "${EXNAME}_up"; else fail "${EXNAME}_up" "no /metrics answer in 15s"; fi
}
stop_exporter() {
	kill "$EPID" 2>/dev/null
	wait "$EPID" 2>/dev/null
	echo "---- $EXNAME log (tail) ----"
	tail -n 40 /tmp/$EXNAME.log
}
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# Phase 1: an exporter without the watchdog (scenarios 1, 3, 2, 5).
start_exporter exporter
out "INFO $(gpu_sriov_exporter --version 2>&1 | head -n 1)"
scrape >/tmp/metrics0.txt
echo "---- first scrape ----"
grep -v '^#' /tmp/metrics0.txt

# 1. IOMMU.
check iommu_enabled "gpu_sriov_iommu_enabled is not 1" grep -qx 'gpu_sriov_iommu_enabled 1' /tmp/metrics0.txt
ngroups=$(ls /sys/kernel/iommu_groups | wc -l)
check iommu_groups "gpu_sriov_iommu_groups is not the $ngroups groups in sysfs" \
	sh -c "[ $ngroups -gt 0 ] && grep -qx 'gpu_sriov_iommu_groups $ngroups' /tmp/metrics0.txt"
check iommu_units "gpu_sriov_iommu_units is not 1 (dmar0)" grep -qx 'gpu_sriov_iommu_units 1' /tmp/metrics0.txt
dtype=$(cat /sys/kernel/iommu_groups/*/type | sort -u | head -n 1)
check iommu_default_domain "no gpu_sriov_iommu_default_domain_info{type=\"$dtype\"}" \
	grep -q "^gpu_sriov_iommu_default_domain_info{type=\"$dtype\"} 1" /tmp/metrics0.txt
check cmdline_intel_iommu "intel_iommu=on not reported" \
	grep -q '^gpu_sriov_kernel_cmdline_param_info{param="intel_iommu",value="on"} 1' /tmp/metrics0.txt
check kernel_info "running kernel $(uname -r) not reported" \
	grep -q "^gpu_sriov_kernel_info{release=\"$(uname -r)\"} 1" /tmp/metrics0.txt
check module_vfio_pci "vfio_pci not reported loaded" \
	grep -q '^gpu_sriov_module_loaded{module="vfio_pci"} 1' /tmp/metrics0.txt
check module_i915_absent "i915 reported loaded" \
	grep -q '^gpu_sriov_module_loaded{module="i915"} 0' /tmp/metrics0.txt
check kmsg_readable "gpu_sriov_kernel_log_readable is not 1" \
	grep -qx 'gpu_sriov_kernel_log_readable 1' /tmp/metrics0.txt

# 3. Render node (virtio-gpu: card0 + renderD128).
check render_node_kernel "no card0/renderD128 char devices pointing at $GPU" sh -c \
	"[ -c /dev/dri/card0 ] && [ -c /dev/dri/renderD128 ] && [ \$(basename \$(readlink /sys/class/drm/renderD128/device)) = $GPU ]"
check render_node_present "renderD128 not reported present" \
	grep -Eq '^gpu_sriov_render_node_present\{[^}]*renderD128[^}]*\} 1' /tmp/metrics0.txt
check render_node_accessible "renderD128 not reported accessible" \
	grep -Eq '^gpu_sriov_render_node_accessible\{[^}]*renderD128[^}]*\} 1' /tmp/metrics0.txt
check render_nodes_count "gpu_sriov_render_nodes is not 1" grep -qx 'gpu_sriov_render_nodes 1' /tmp/metrics0.txt
check drm_card_info "card0 of $GPU not in gpu_sriov_drm_card_info" \
	grep -Eq "^gpu_sriov_drm_card_info\{[^}]*$GPU[^}]*\} 1" /tmp/metrics0.txt

# 3b. --check as in a guest: without $DCLASS only display-class functions are GPUs, so the NVMe
# PFs do not count and the virtio-gpu stands in for the VF; its render node is real here.
gpu_sriov_exporter --check >/tmp/check.txt 2>/tmp/check.err
crc=$?
echo "---- --check (exit $crc) ----"
cat /tmp/check.txt /tmp/check.err
check check_runs "--check exited $crc (2 is a usage error, more a crash)" test "$crc" -le 1
check check_guest_mode "--check did not choose guest mode" grep -q '^mode: guest' /tmp/check.txt
check check_gpu_present "--check did not find card0 of $GPU" \
	grep -q "^pass  GPU (VF) present: card0 at $GPU" /tmp/check.txt
check check_render_present "--check: render node not present" \
	grep -q '^pass  Render node present: /dev/dri/renderD128' /tmp/check.txt
check check_render_openable "--check: render node not openable" \
	grep -q '^pass  Render node openable' /tmp/check.txt
check check_json "--check --output=json does not say render_open pass" sh -c \
	"gpu_sriov_exporter --check --output=json | grep -q '\"id\": \"render_open\", \"status\": \"pass\"'"

# 2. SR-IOV on the real PCI core, and what the exporter makes of it.
check sriov_pf_initial "PF1 not 7 total / 0 enabled / no virtfn" sh -c \
	"[ \$(cat $SYS/$PF1/sriov_totalvfs) = 7 ] && [ \$(cat $SYS/$PF1/sriov_numvfs) = 0 ] && ! ls -d $SYS/$PF1/virtfn* >/dev/null 2>&1"
if exporter_sees_pf "$PF1"; then
	check exporter_pf_info "no gpu_sriov_pf_info for $PF1 on nvme" \
		grep -Eq "^gpu_sriov_pf_info\{pci_address=\"$PF1\",driver=\"nvme\"" /tmp/metrics0.txt
	check exporter_pf_zero_vfs "gpu_sriov_vfs_enabled{$PF1} is not 0 / supported not 7" sh -c \
		"grep -q '^gpu_sriov_vfs_enabled{pci_address=\"$PF1\"} 0' /tmp/metrics0.txt &&
		 grep -q '^gpu_sriov_vfs_supported{pci_address=\"$PF1\"} 7' /tmp/metrics0.txt"
fi
e=$(write_err 3 "$SYS/$PF1/sriov_numvfs")
check sriov_enable "echo 3 > sriov_numvfs failed: $e; $(nvfs "$PF1") virtfn links" \
	sh -c "[ -z '$e' ] && [ $(nvfs "$PF1") = 3 ]"
ok=1
why=""
groups=" $(link_name "$SYS/$PF1/iommu_group") "
scrape >/tmp/metrics1.txt
eok=1
ewhy=""
for i in 0 1 2; do
	vf=$(link_name "$SYS/$PF1/virtfn$i")
	[ "$(link_name "$SYS/$vf/physfn")" = "$PF1" ] || { ok=0; why="$why $vf:physfn"; }
	g=$(link_name "$SYS/$vf/iommu_group")
	case "$groups" in *" $g "*) ok=0; why="$why $vf:group=$g shared" ;; esac
	[ -n "$g" ] || { ok=0; why="$why $vf:no group"; }
	groups="$groups$g "
	[ -e "$SYS/$vf/driver" ] && { ok=0; why="$why $vf:bound to $(link_name "$SYS/$vf/driver")"; }
	grep -q "^gpu_sriov_vf_info{pci_address=\"$vf\",pf=\"$PF1\",index=\"$((i + 1))\",driver=\"\",iommu_group=\"$g\"" \
		/tmp/metrics1.txt || { eok=0; ewhy="$ewhy $vf(pf $PF1, index $((i + 1)), group $g)"; }
	grep -q "^gpu_sriov_device_iommu_group_size{pci_address=\"$vf\"} 1" /tmp/metrics1.txt ||
		{ eok=0; ewhy="$ewhy $vf:group size"; }
done
out "INFO PF1 and VF iommu groups:$groups"
if [ $ok = 1 ]; then pass sriov_vfs_physfn_groups; else fail sriov_vfs_physfn_groups "$why"; fi
e=$(write_err 2 "$SYS/$PF1/sriov_numvfs")
check sriov_ebusy "echo 2 over 3 gave '$e', not EBUSY" sh -c "echo '$e' | grep -qi 'busy' && [ $(nvfs "$PF1") = 3 ]"
check sriov_ebusy_log "no 'already enabled' kernel line" sh -c "dmesg | grep -q '3 VFs already enabled. Disable before enabling 2 VFs'"
e=$(write_err 99 "$SYS/$PF1/sriov_numvfs")
check sriov_erange "echo 99 gave '$e', not ERANGE" sh -c "echo '$e' | grep -qi 'range'"
e=$(write_err abc "$SYS/$PF1/sriov_numvfs")
check sriov_einval "echo abc gave '$e', not EINVAL" sh -c "echo '$e' | grep -qi 'invalid'"
e=$(write_err 3 "$SYS/$PF1/sriov_numvfs")
check sriov_same_count "echo 3 over 3 gave '$e'" test -z "$e"
if exporter_sees_pf "$PF1"; then
	check exporter_vfs_enabled "gpu_sriov_vfs_enabled{$PF1} is not 3" \
		grep -q "^gpu_sriov_vfs_enabled{pci_address=\"$PF1\"} 3" /tmp/metrics1.txt
	if [ $eok = 1 ]; then pass exporter_vf_info; else fail exporter_vf_info "gpu_sriov_vf_info wrong or missing:$ewhy"; fi
	check exporter_vfs_after_ebusy "gpu_sriov_vfs_enabled{$PF1} is not 3 after the refused writes" \
		has "^gpu_sriov_vfs_enabled\{pci_address=\"$PF1\"\} 3"
else
	skip exporter_sriov "blocked: the exporter lists only display-class (0x03xxxx) PFs; $PF1 is class $(cat $SYS/$PF1/class)"
fi

# 5. VF binding to vfio-pci: by hand (driver_override + drivers_probe) and through the helper.
echo vfio-pci >"$SYS/$VF_OVR/driver_override"
echo "$VF_OVR" >/sys/bus/pci/drivers_probe 2>/dev/null
g=$(link_name "$SYS/$VF_OVR/iommu_group")
check vfio_bind_override "$VF_OVR driver is '$(link_name "$SYS/$VF_OVR/driver")', /dev/vfio/$g: $(ls -l /dev/vfio/$g 2>&1)" \
	sh -c "[ \$(basename \$(readlink $SYS/$VF_OVR/driver)) = vfio-pci ] && [ -c /dev/vfio/$g ]"
r=$(helperctl $SOCK vfio "$VF_HLP")
check vfio_bind_helper "helper BIND_VFIO answered '$r', driver '$(link_name "$SYS/$VF_HLP/driver")'" \
	sh -c "[ '${r%% *}' = OK ] && [ \$(basename \$(readlink $SYS/$VF_HLP/driver)) = vfio-pci ]"
r=$(helperctl $SOCK vfio "$(printf '%s' "$PF1" | sed 's/\.0$/.3/')")
check vfio_bind_not_allowed "helper took a VF not in its allowlist: '$r'" sh -c "[ '${r%% *}' != OK ]"
if exporter_sees_pf "$PF1"; then
	check exporter_vf_vfio "gpu_sriov_vf_info of $VF_OVR/$VF_HLP lacks driver=vfio-pci" sh -c \
		"timeout 10 wget -qO- $URL >/tmp/m && grep -q '^gpu_sriov_vf_info{pci_address=\"$VF_OVR\",[^}]*driver=\"vfio-pci\"' /tmp/m &&
		 grep -q '^gpu_sriov_vf_info{pci_address=\"$VF_HLP\",[^}]*driver=\"vfio-pci\"' /tmp/m"
else
	skip exporter_vf_vfio "blocked: the NVMe VFs are class $(cat $SYS/$VF_OVR/class), not display, so gpu_sriov_vf_info never lists them"
fi

# The helper's refusals that need no write: a count it does not allow, a PF off its driver.
r=$(helperctl $SOCK set "$PF1" 5)
check helper_count_not_allowed "helper SET_NUMVFS $PF1=5 answered '$r', not EPERM" sh -c "[ '${r%% *}' = EPERM ] && [ $(nvfs "$PF1") = 3 ]"
r=$(helperctl $SOCK set "$PF1")
check helper_already_at_count "helper SET_NUMVFS $PF1 at 3 answered '$r'" test "$r" = "OK 3"
echo "$PF2" >/sys/bus/pci/drivers/nvme/unbind
r=$(helperctl $SOCK set "$PF2")
check helper_pf_unbound "helper with $PF2 unbound answered '$r', not ENODEV" sh -c "[ '${r%% *}' = ENODEV ] && [ $(nvfs "$PF2") = 0 ]"
echo "$PF2" >/sys/bus/pci/drivers/nvme/bind
wait_for 5 test -e "$SYS/$PF2/driver"
echo 0 >"$SYS/$PF1/sriov_numvfs"
stop_exporter

# 4. Watchdog. Phase 2: both PFs at their targets (3 and 5) before it starts; each echo 0 must be
# repaired within 2 s, driven by the udev event (the periodic check is 600 s away), through the
# real helper, and only that PF.
if [ -z "$DCLASS" ]; then
	skip watchdog "blocked: without --sriov.device-class the watchdog sees only display-class PFs; $PF1 is class $(cat $SYS/$PF1/class)"
else
	echo 3 >"$SYS/$PF1/sriov_numvfs"
	echo 5 >"$SYS/$PF2/sriov_numvfs"
	WD="--watchdog.enable --watchdog.pf-drivers=nvme --watchdog.interval=600s --watchdog.helper-socket=$SOCK"
	start_exporter watchdog $WD --sriov.expected-vfs="$PF1=3" --sriov.expected-vfs="$PF2=5"
	check watchdog_enabled "gpu_sriov_watchdog_enabled is not 1" has '^gpu_sriov_watchdog_enabled 1'
	check watchdog_state_ok "gpu_sriov_watchdog_state not ok for both PFs" wait_for 5 sh -c \
		"timeout 10 wget -qO- $URL >/tmp/m && grep -q '^gpu_sriov_watchdog_state{pci_address=\"$PF1\",state=\"ok\"} 1' /tmp/m &&
		 grep -q '^gpu_sriov_watchdog_state{pci_address=\"$PF2\",state=\"ok\"} 1' /tmp/m"
	# log_ms FILE OFFSET TEXT: the timestamp (ms of the day, from ts=...THH:MM:SS.mmmZ) of the
	# first line of FILE past byte OFFSET that contains TEXT.
	log_ms() {
		tail -c +$(($2 + 1)) "$1" | grep -F -m 1 "$3" |
			sed -n 's/^ts=[0-9-]*T\([0-9]*\):\([0-9]*\):\([0-9]*\)\.\([0-9]*\)Z.*/\1 \2 \3 \4/p' |
			awk '{ printf "%d\n", (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }'
	}
	# Reaction time for make bench: the exporter's log line for the first udev event after the
	# echo to the helper's line just before its sriov_numvfs write; one clock (the guest's
	# CLOCK_REALTIME), millisecond stamps. Its parts, from the exporter's lines in between: the
	# burst (first event to the watchdog's "udev: N events in M ms ... looking"), the check
	# (to its "state repairing" decision) and the helper (request, its own checks, to "writing").
	reaction() {
		a=$(log_ms /tmp/$EXNAME.log "$2" "msg=\"udev ")
		l=$(log_ms /tmp/$EXNAME.log "$2" "msg=\"udev: ")
		d=$(log_ms /tmp/$EXNAME.log "$2" "$1: 0 of the intended VFs, state repairing")
		b=$(log_ms /tmp/helper.log "$3" "SET_NUMVFS pf=$1 writing")
		[ -n "$a" ] && [ -n "$b" ] || { out "INFO watchdog_reaction pf=$1 not found in the logs"; return; }
		# Past midnight the later stamps wrap.
		wrap() { if [ -n "$1" ] && [ "$1" -lt "$a" ]; then echo $(($1 + 86400000)); else echo "$1"; fi; }
		l=$(wrap "$l")
		d=$(wrap "$d")
		b=$(wrap "$b")
		parts="parts not found in the log"
		[ -n "$l" ] && [ -n "$d" ] &&
			parts="burst $((l - a)) ms, check $((d - l)) ms, helper $((b - d)) ms"
		out "INFO watchdog_reaction pf=$1 reaction_ms=$((b - a)) (udev event seen -> helper writes sriov_numvfs; $parts)"
		# The events and the decision, for the console log.
		tail -c +$(($2 + 1)) /tmp/$EXNAME.log | grep -m 16 -e 'udev' -e 'repairing' | sed 's/^/  /'
	}
	# repair PF TARGET OTHER OTHER_COUNT
	repair() {
		eoff=$(wc -c </tmp/$EXNAME.log)
		hoff=$(wc -c </tmp/helper.log)
		t0=$(uptime_ms)
		echo 0 >"$SYS/$1/sriov_numvfs"
		# test is a shell builtin: polling forks nothing, which matters under TCG.
		if wait_for 2 test -e "$SYS/$1/virtfn$(($2 - 1))"; then
			out "INFO $1: echo 0 repaired to $2 VFs in $(($(uptime_ms) - t0)) ms"
			pass "watchdog_repair_2s_$1"
			reaction "$1" "$eoff" "$hoff"
		else
			fail "watchdog_repair_2s_$1" "$1 has $(nvfs "$1") VFs 2s after echo 0 (target $2)"
			wait_for 5 sh -c "[ \$(ls -d $SYS/$1/virtfn* 2>/dev/null | wc -l) = $2 ]"
		fi
		check "watchdog_repairs_success_$1" "repairs_total{$1,success} is not 1" wait_for 3 sh -c \
			"timeout 10 wget -qO- $URL | grep -q '^gpu_sriov_watchdog_repairs_total{pci_address=\"$1\",result=\"success\"} 1'"
		check "watchdog_other_pf_untouched_$1" "$3 has $(nvfs "$3") VFs, not $4" test "$(nvfs "$3")" = "$4"
	}
	check watchdog_no_repair_yet "a success counted before any VF was lost" sh -c \
		"! timeout 10 wget -qO- $URL | grep -q 'gpu_sriov_watchdog_repairs_total{[^}]*result=\"success\"} [1-9]'"
	repair "$PF1" 3 "$PF2" 5
	repair "$PF2" 5 "$PF1" 3
	check watchdog_separate_counts "PF2's repair changed PF1's counter" \
		has "^gpu_sriov_watchdog_repairs_total\{pci_address=\"$PF1\",result=\"success\"\} 1"
	stop_exporter

	# Phase 3: a partial count (2 of 3) when the watchdog starts is left alone.
	echo 0 >"$SYS/$PF1/sriov_numvfs"
	echo 2 >"$SYS/$PF1/sriov_numvfs"
	start_exporter watchdog2 $WD --sriov.expected-vfs="$PF1=3" --sriov.expected-vfs="$PF2=5"
	sleep 1
	echo change >"$SYS/$PF1/uevent"
	sleep 2
	check watchdog_partial_left_alone "$PF1 has $(nvfs "$PF1") VFs, not the partial 2" test "$(nvfs "$PF1")" = 2
	check watchdog_partial_reason "no blocked_reason partial_count for $PF1" \
		has "^gpu_sriov_watchdog_blocked_reason_info\{pci_address=\"$PF1\",reason=\"partial_count\"\} 1"
	check watchdog_partial_other_ok "$PF2 not ok at 5 VFs" sh -c "[ $(nvfs "$PF2") = 5 ] &&
		timeout 10 wget -qO- $URL | grep -q '^gpu_sriov_watchdog_state{pci_address=\"$PF2\",state=\"ok\"} 1'"
fi
echo "---- watchdog metrics ----"
scrape | grep '^gpu_sriov_watchdog'
[ -n "$DCLASS" ] || start_exporter exporter2

# 6. Survival: PF and GPU drivers unbound and rebound while scraped in a loop.
(
	n=0 bad=0
	while [ ! -e /tmp/stop ]; do
		timeout 10 wget -qO- "$URL" >/dev/null 2>&1 || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >/tmp/loop
) &
LPID=$!
GDRV=$(link_name "$SYS/$GPU/driver")
for i in 1 2 3; do
	echo "$PF1" >/sys/bus/pci/drivers/nvme/unbind
	sleep 0.3
	[ -n "$GDRV" ] && echo "$GPU" >"/sys/bus/pci/drivers/$GDRV/unbind"
	sleep 0.3
	echo "$PF1" >/sys/bus/pci/drivers/nvme/bind
	[ -n "$GDRV" ] && echo "$GPU" >"/sys/bus/pci/drivers/$GDRV/bind"
	sleep 0.5
done
touch /tmp/stop
wait $LPID
out "INFO scrape loop during rebinding: $(cat /tmp/loop) (scrapes, failed)"
check survive_process "exporter process $EPID is gone" kill -0 $EPID
check survive_helper "helper process $HPID is gone" kill -0 $HPID
check survive_pf_rebound "$PF1 not back on nvme" sh -c "[ \$(basename \$(readlink $SYS/$PF1/driver)) = nvme ]"
wait_for 10 test -c /dev/dri/renderD128
check survive_metrics_recover "render node / iommu metrics did not recover after rebinding" \
	wait_for 5 sh -c "timeout 10 wget -qO- $URL > /tmp/m && grep -qx 'gpu_sriov_iommu_enabled 1' /tmp/m &&
		grep -Eq '^gpu_sriov_render_node_accessible\{[^}]*renderD128[^}]*\} 1' /tmp/m &&
		grep -qx 'gpu_sriov_render_nodes 1' /tmp/m"
check survive_no_failed_scrapes "scrapes failed during rebinding: $(cat /tmp/loop)" sh -c "[ \$(cut -d' ' -f2 /tmp/loop) = 0 ]"

stop_exporter
kill $HPID 2>/dev/null
echo "---- helper log ----"
cat /tmp/helper.log
out "END $P $F"
