#!/bin/sh
# The privileged helper end to end: the real gpu_sriov_helper binary on a writable copy of the
# host_n150 sysfs fixture (its VFs removed: a VF loss), a socket in a temporary directory, and
# tests/tools/helper_client.py speaking exporter/helper_proto.h. Every run passes --path.sysfs:
# nothing here may reach the real /sys. Usage: helper.sh PATH/TO/gpu_sriov_helper
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
units="$here/../../exporter"
WORK=$(mktemp -d)
HPID=""
IDLE=""
stop_helper() {
	[ -n "$HPID" ] || return 0
	kill -TERM "$HPID" 2>/dev/null
	wait "$HPID" 2>/dev/null
	HRC=$?
	HPID=""
}
trap 'stop_helper; [ -n "$IDLE" ] && kill $IDLE 2>/dev/null; rm -rf "$WORK"' EXIT

client() {
	python3 "$here/../tools/helper_client.py" "$WORK/helper.sock" "$@"
}
# expect OUTPUT_LINE_PREFIX REQUEST...: the last answer starts with the prefix.
expect() {
	want=$1
	shift
	got=$(client "$@" | tail -n 1)
	case "$got" in
	"$want"*) return 0 ;;
	esac
	echo "     got: $got" >&2
	return 1
}

sys=$WORK/sys
pf=$sys/devices/pci0000:00/0000:00:02.0
cp -a "$here/../fixtures/host_n150/sys" "$sys"
mkdir "$WORK/root"
rm -f "$pf"/virtfn*
printf '0\n' >"$pf/sriov_numvfs"
# Write-only attributes the fixture does not carry; VF 02.2 sits on i915 for the rebind.
: >"$sys/bus/pci/drivers/i915/unbind"
: >"$sys/bus/pci/drivers_probe"
ln -sfn ../../../bus/pci/drivers/i915 "$sys/devices/pci0000:00/0000:00:02.2/driver"
ARGS="--path.sysfs=$sys --path.rootfs=$WORK/root --allow-pf=0000:00:02.0=7"
ARGS="$ARGS --allow-vfio=0000:00:02.1 --allow-vfio=0000:00:02.2"

# Flags: a bad one is one line on stderr and exit 2.
flag_error() {
	"$bin" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] && [ ! -s "$WORK/out" ] ||
		{ echo "     rc=$rc: $(cat "$WORK/err")" >&2; return 1; }
}
check "bad --allow-pf: exit 2, one line" flag_error --allow-pf=0000:00:02.0
check "count 0 refused" flag_error --allow-pf=0000:00:02.0=0
check "unknown flag" flag_error --allow-pf=0000:00:02.0=7 --bogus
check "vfio-pci as PF driver refused" flag_error --allow-pf=00:02.0=7 --pf-drivers=vfio-pci
check "empty allowlist refused" flag_error --path.sysfs="$sys"
check "missing sysfs directory" flag_error --allow-pf=00:02.0=7 --path.sysfs="$WORK/nope"
check "unknown socket group" flag_error $ARGS --listen="$WORK/x.sock" \
	--socket-group=no-such-group-here
check "--version exits 0" sh -c '"$0" --version | grep -q "^gpu_sriov_helper, version"' "$bin"
check "-h lists every flag" sh -c '"$0" -h | grep -c -e "--allow-pf" -e "--allow-vfio" \
	-e "--pf-drivers" -e "force-partial" -e "--listen=" -e "--socket-group" \
	-e "systemd-socket" -e "--log.level" | grep -qx 8' "$bin"

# The unit: systemd-analyze verify with ExecStart pointed at the binary under test.
mkdir "$WORK/units"
sed "s|/usr/local/bin/gpu_sriov_helper|$bin|" "$units/gpu-sriov-helper.service" \
	>"$WORK/units/gpu-sriov-helper.service"
verify() {
	SYSTEMD_UNIT_PATH="$WORK/units:" systemd-analyze verify --man=no "$@" \
		>"$WORK/verify.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$WORK/verify.out" ] || { cat "$WORK/verify.out"; return 1; }
}
check "systemd-analyze verify gpu-sriov-helper.service" verify \
	"$WORK/units/gpu-sriov-helper.service"
score=$(systemd-analyze security --offline=true --no-pager \
	"$WORK/units/gpu-sriov-helper.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "     systemd-analyze security exposure: ${score:-unknown}"
check "helper unit exposure below 2.0" awk -v s="${score:-99}" 'BEGIN { exit !(s < 2.0) }'
check "ProtectKernelTunables with one sriov_numvfs carve-out" sh -c \
	'grep -qx "ProtectKernelTunables=yes" "$0" &&
	 grep -qx "ReadWritePaths=-/sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs" "$0" &&
	 grep -qx "CapabilityBoundingSet=" "$0"' "$units/gpu-sriov-helper.service"

# The helper itself.
# shellcheck disable=SC2086
"$bin" $ARGS --listen="$WORK/helper.sock" 2>"$WORK/helper.log" &
HPID=$!
check "helper starts listening" wait_for "$WORK/helper.log" "listening on"
check "socket is a socket of mode 0660" sh -c \
	'[ -S "$0" ] && [ "$(stat -c %a "$0")" = 660 ]' "$WORK/helper.sock"
fds_before=$(ls "/proc/$HPID/fd" | wc -l)

check "HELLO: 1 PF, 2 VFs" expect "rc=0 value=1 count2=2 bdf= " hello:0:1
check "HELLO with a non-zero target: EINVAL" expect "rc=EINVAL" hello:1:1
check "HELLO with another protocol version: refused" expect "rc=EPROTONOSUPPORT" hello:0:0
check "DESCRIBE_PF 0" expect "rc=0 value=7 count2=0 bdf=0000:00:02.0 " describe-pf:0:0
check "DESCRIBE_PF past the end: ENOENT" expect "rc=ENOENT value=0 count2=0 bdf= " describe-pf:1:0
check "DESCRIBE_VF 1" expect "rc=0 value=0 count2=0 bdf=0000:00:02.2 " describe-vf:1:0

check "SET_NUMVFS 3 (not allowlisted): EPERM" expect "rc=EPERM" set:0:3
check "... and nothing written" sh -c '[ "$(cat "$0")" = 0 ]' "$pf/sriov_numvfs"
check "SET_NUMVFS of an unknown PF: EPERM" expect "rc=EPERM" set:5:7
client set:0:7 >"$WORK/set.out"
check "SET_NUMVFS 7: written, no kernel makes VFs, EIO with 0 (after the 1 s re-check)" \
	grep -q "^rc=EIO value=0 " "$WORK/set.out"
check "sriov_numvfs holds exactly 7 and a newline" sh -c 'printf "7\n" | cmp -s - "$0"' \
	"$pf/sriov_numvfs"
rt_write=$(sed -n 's/.* us=\([0-9]*\)$/\1/p' "$WORK/set.out")
check "a second write within 10 s: EAGAIN" expect "rc=EAGAIN value=0 " set:0:7
check "the write is logged with PF, counts and result" grep -q \
	'SET_NUMVFS pf=0000:00:02.0 driver=i915 requested=7 old=0 new=0 writes=7 result=error' \
	"$WORK/helper.log"
check "... and the errno" grep -q 'writes=7 result=error.*err="Input/output error"' \
	"$WORK/helper.log"

# The kernel's part, played by hand: VFs present now. "Already at the value" writes nothing.
i=0
while [ $i -lt 7 ]; do
	ln -s "../0000:00:02.$((i + 1))" "$pf/virtfn$i"
	i=$((i + 1))
done
printf 'untouched\n' >"$pf/sriov_numvfs"
# 50 round trips on one connection through every check (no write, so no rate limit).
set -- hello:0:1
i=0
while [ $i -lt 50 ]; do
	set -- "$@" set:0:7
	i=$((i + 1))
done
client "$@" >"$WORK/rt.out"
check "SET_NUMVFS at the value: rc 0 with 7, 50 times" sh -c \
	'[ "$(grep -c "^rc=0 value=7 " "$0")" -eq 50 ]' "$WORK/rt.out"
check "... without writing" grep -qx untouched "$pf/sriov_numvfs"
rt_check=$(sed -n 's/^rc=0 value=7 .* us=\([0-9]*\)$/\1/p' "$WORK/rt.out" | sort -n | sed -n 25p)

check "BIND_VFIO of a VF already on vfio-pci: 0, no write" sh -c \
	'python3 "$0" "$1" bind:0:0 | grep -q "^rc=0 " && [ ! -s "$2" ]' \
	"$here/../tools/helper_client.py" "$WORK/helper.sock" "$sys/bus/pci/drivers_probe"
check "BIND_VFIO of a VF on i915: writes, EIO without a kernel" expect "rc=EIO" bind:1:0
vf2=$sys/devices/pci0000:00/0000:00:02.2
check "... driver_override = vfio-pci" grep -q '^vfio-pci' "$vf2/driver_override"
check "... unbind = the VF" grep -qx '0000:00:02.2' "$sys/bus/pci/drivers/i915/unbind"
check "... drivers_probe = the VF" grep -qx '0000:00:02.2' "$sys/bus/pci/drivers_probe"
check "BIND_VFIO of a VF not allowlisted: EPERM" expect "rc=EPERM" bind:2:0

# A hostile client loses its connection; the helper keeps serving everyone else.
check "a 2-byte datagram: disconnected, next request unanswered" sh -c \
	'[ "$(python3 "$0" "$1" raw:0102 hello:0:1)" = closed ]' \
	"$here/../tools/helper_client.py" "$WORK/helper.sock"
check "a 13-byte datagram: disconnected" expect closed raw:01000000000000000000000000
check "unknown op 99: disconnected" expect closed 99:0:0
check "op 0: disconnected" expect closed 0:0:0
check "the helper is still running" kill -0 "$HPID"
check "the violations are logged" sh -c \
	'[ "$(grep -c "protocol violation" "$0")" -eq 4 ]' "$WORK/helper.log"
check "... with the size or op received" sh -c 'grep -q "datagram of 2 bytes, not 12" "$0" &&
	grep -q "datagram of 13 bytes" "$0" && grep -q "unknown op 99" "$0"' "$WORK/helper.log"
check "a new client is served" expect "rc=0 value=1 count2=2" hello:0:1
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); time.sleep(5)' \
	"$WORK/helper.sock" &
IDLE=$!
sleep 0.2
check "an idle client does not lock others out" expect "rc=0 value=1 count2=2" hello:0:1
kill $IDLE 2>/dev/null
wait $IDLE 2>/dev/null
IDLE=""
sleep 0.2
fds_after=$(ls "/proc/$HPID/fd" | wc -l)
check "no descriptor leaked over all the connections above ($fds_before before, $fds_after after)" \
	test "$fds_before" -eq "$fds_after"
check "clients are logged with their pid" grep -q "client pid=[0-9]* uid=[0-9]* gid=" \
	"$WORK/helper.log"

stop_helper
check "SIGTERM: exit 0" test "$HRC" -eq 0
check "... and the socket is removed" test ! -e "$WORK/helper.sock"

# force-partial on a fresh helper: 3 VFs of 7 present -> "0\n" is written first; without a
# kernel the VFs stay, so "7" is never written over them.
rm -f "$pf"/virtfn*
for i in 0 1 2; do ln -s "../0000:00:02.$((i + 1))" "$pf/virtfn$i"; done
printf '3\n' >"$pf/sriov_numvfs"
# shellcheck disable=SC2086
"$bin" $ARGS --listen="$WORK/helper.sock" 2>"$WORK/helper2.log" &
HPID=$!
wait_for "$WORK/helper2.log" "listening on"
check "partial count without --force-partial: EBUSY, no write" sh -c \
	'python3 "$0" "$1" set:0:7 | grep -q "^rc=EBUSY value=3 " && grep -qx 3 "$2"' \
	"$here/../tools/helper_client.py" "$WORK/helper.sock" "$pf/sriov_numvfs"
stop_helper
# shellcheck disable=SC2086
"$bin" $ARGS --force-partial --listen="$WORK/helper.sock" 2>"$WORK/helper3.log" &
HPID=$!
wait_for "$WORK/helper3.log" "listening on"
check "--force-partial: writes 0 first; VFs stay, so EIO with 3 and no 7" sh -c \
	'python3 "$0" "$1" set:0:7 | grep -q "^rc=EIO value=3 " && printf "0\n" | cmp -s - "$2"' \
	"$here/../tools/helper_client.py" "$WORK/helper.sock" "$pf/sriov_numvfs"
stop_helper

# A kernel stand-in that is slower than a real one (links appear ~50 ms after the write): the
# helper's re-check waits for them and answers success.
rm -f "$pf"/virtfn*
printf '0\n' >"$pf/sriov_numvfs"
(
	while :; do
		if [ "$(cat "$pf/sriov_numvfs")" = 7 ] && [ ! -e "$pf/virtfn6" ]; then
			for i in 0 1 2 3 4 5 6; do ln -s "../0000:00:02.$((i + 1))" "$pf/virtfn$i"; done
		fi
		sleep 0.05
	done
) &
IDLE=$!
# shellcheck disable=SC2086
"$bin" $ARGS --listen="$WORK/helper.sock" 2>"$WORK/helper4.log" &
HPID=$!
wait_for "$WORK/helper4.log" "listening on"
client set:0:7 >"$WORK/async.out"
check "a slower kernel stand-in: success with 7" grep -q "^rc=0 value=7 " "$WORK/async.out"
rt_async=$(sed -n 's/.* us=\([0-9]*\)$/\1/p' "$WORK/async.out")
stop_helper
kill $IDLE 2>/dev/null
wait $IDLE 2>/dev/null
IDLE=""

# Socket activation: systemd's own helper passes a SOCK_SEQPACKET socket.
# shellcheck disable=SC2086
systemd-socket-activate --seqpacket -l "$WORK/sa.sock" "$bin" --systemd-socket $ARGS \
	2>"$WORK/sa.log" &
HPID=$!
sleep 0.3
check "socket-activated helper answers HELLO" sh -c \
	'python3 "$0" "$1" hello:0:1 | grep -q "^rc=0 value=1 count2=2 "' \
	"$here/../tools/helper_client.py" "$WORK/sa.sock"
check "... and logs the systemd socket" wait_for "$WORK/sa.log" "the systemd socket"
stop_helper
# shellcheck disable=SC2086
"$bin" --systemd-socket $ARGS 2>"$WORK/nosock.log"
check "--systemd-socket without a socket: exit 1" test $? -eq 1
check "... and says why" grep -q "no single SOCK_SEQPACKET" "$WORK/nosock.log"

echo "     SET_NUMVFS round trips (python client): ${rt_check:-?} us median of 50 at the value" \
	"(every check, no write); ${rt_async:-?} us writing with a 50 ms kernel stand-in;" \
	"${rt_write:-?} us writing with no kernel (the 1 s re-check, then EIO)"
report helper
