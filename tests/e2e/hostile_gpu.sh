#!/bin/sh
# Hostile data for the GPU collectors (hostile.sh covers the host side): in a copy of the guest
# fixture, DRM clients whose fdinfo is a 1 MiB line, a FIFO, a directory or binary, with
# overflowing and negative numbers, a fd link loop, a 1 MiB and a binary comm, and garbage under
# /proc; in a copy of the N150 fixture, PMU event files that are a FIFO, a 1 MiB line, binary or
# a link loop, GT files with garbage, overflowing, negative and 1 MiB values, an engine attribute
# that is a directory, render nodes whose dev file is garbage or a FIFO and whose /dev node is a
# FIFO or a directory; and kernel log records that are 1 MiB, binary or malformed, appended
# while the exporter runs. The exporter must finish promptly, keep every collector successful,
# skip exactly the bad values, log each once, and still report everything that is intact.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/hostile_lib.sh"
WORK=$(mktemp -d)
trap 'stop_exporter; rm -rf "$WORK"' EXIT
fixtures="$here/../fixtures"

# --- DRM clients (fdinfo) ---------------------------------------------------------------------
# guest_vf has three clients: ffmpeg 1306 (fds 5 and 6, one client), ffmpeg 1305, and the
# Frigate detector 1201. Each bad value hides only itself.
G="$WORK/guest"
cp -a "$fixtures/guest_vf" "$G"
make_devices "$G" || { echo "FAIL: mknod needs root"; exit 1; }
p="$G/proc"
# fd 6 of 1306 is the same client as fd 5: the client survives through fd 5.
{ cat "$p/1306/fdinfo/6"; printf 'drm-engine-render:\t'; chars $MiB 9; echo ' ns'; } >"$WORK/x"
mv "$WORK/x" "$p/1306/fdinfo/6"
# 1305: an overflowing and a negative engine time; the rest of the file stays usable.
sed -i 's/^drm-engine-video:.*/drm-engine-video:\t99999999999999999999999 ns/' "$p/1305/fdinfo/5"
sed -i 's/^drm-engine-copy:.*/drm-engine-copy:\t-5 ns/' "$p/1305/fdinfo/5"
# Processes 1400-1404 hold the render node; their fdinfo or fd entry is unusable.
for pid in 1400 1401 1402 1403 1404; do
	mkdir -p "$p/$pid/fd" "$p/$pid/fdinfo"
	cp "$p/1305/stat" "$p/$pid/stat"
	echo "bad$pid" >"$p/$pid/comm"
	ln -s /dev/dri/renderD128 "$p/$pid/fd/3"
	cp "$p/1201/fdinfo/14" "$p/$pid/fdinfo/3"
done
rm "$p/1400/fdinfo/3" && mkfifo "$p/1400/fdinfo/3"
chars $MiB c >"$p/1400/comm"
rm "$p/1401/fdinfo/3" && mkdir "$p/1401/fdinfo/3"
printf 'drm-driver:\ti915\ndrm-client-id:\t\0\377\ndrm-pdev:\t0000:01:00.0\n' >"$p/1402/fdinfo/3"
rm "$p/1403/fd/3" && ln -s 3 "$p/1403/fd/3"
sed -i 's/^drm-client-id:.*/drm-client-id:\t99999999999999999999999/' "$p/1404/fdinfo/3"
printf '\377\376\0' >"$p/1404/comm"
# Garbage where process directories are.
mkfifo "$p/1500"
mkdir "$p/12ab" "$p/99999999999999999999"

once "$G" fdinfo --collector.fdinfo
check "fdinfo: finishes and exits 0" exited_0 fdinfo
check "fdinfo: every collector succeeds" all_succeed fdinfo 11
check "fdinfo: the three real clients still counted, none of the bad ones" \
	has fdinfo 'gpu_sriov_drm_clients{pci_address="0000:01:00.0"} 3'
check "fdinfo: Frigate's client intact" has fdinfo \
	'gpu_sriov_client_engine_busy_seconds_total{pci_address="0000:01:00.0",comm="frigate.detecto",class="compute"} 4.522'
check "fdinfo: ffmpeg 1306 still read through its intact fd" has fdinfo \
	'gpu_sriov_client_engine_busy_seconds_total{pci_address="0000:01:00.0",comm="ffmpeg",class="video-enhance"} 0.013'
# 2.588 s intact: 2.5 s from 1306 plus 0.088 s from 1305, whose line now overflows.
check "fdinfo: the overflowing engine time left out, not wrapped or clamped" has fdinfo \
	'gpu_sriov_client_engine_busy_seconds_total{pci_address="0000:01:00.0",comm="ffmpeg",class="video"} 2.5'
check "fdinfo: no negative engine time" lacks fdinfo '^gpu_sriov_client_engine_busy_seconds_total{.*} -'
check "fdinfo: no series for the bad processes' comms" lacks fdinfo 'comm="bad14'
check "fdinfo: 1 MiB fdinfo skipped, logged once" logged_once "$WORK/fdinfo.log" fdinfo \
	"proc/*/fdinfo/*: larger than 16 KiB" "File too large"
check "fdinfo: malformed engine lines logged once" logged_once "$WORK/fdinfo.log" fdinfo \
	"proc/*/fdinfo/*: malformed drm-engine line" "Invalid argument"
check "fdinfo: binary and overflowing client ids logged once" logged_once "$WORK/fdinfo.log" \
	fdinfo "proc/*/fdinfo/*: malformed drm-client-id line" "Invalid argument"
check "fdinfo: FIFO and directory fdinfo logged once" logged_once "$WORK/fdinfo.log" fdinfo \
	"proc/*/fdinfo/*: unreadable" "Invalid argument"
check "fdinfo: FIFO process entry logged once" logged_once "$WORK/fdinfo.log" fdinfo \
	"proc/*/fd: unreadable" "Not a directory"
check "fdinfo: no source logged twice" no_repeats "$WORK/fdinfo.log"
check "fdinfo: output is valid UTF-8" utf8_ok fdinfo
check "fdinfo: output passes promtool" promtool_ok fdinfo

# --- PMU, GT and engine attributes, render nodes ----------------------------------------------
H="$WORK/host"
cp -a "$fixtures/host_n150" "$H"
make_devices "$H" || { echo "FAIL: mknod needs root"; exit 1; }
e="$H/sys/devices/i915/events"
d="$H/sys/devices/pci0000:00"
gt="$d/0000:00:02.0/drm/card0/gt/gt0"
rm "$e/bcs0-busy" && mkfifo "$e/bcs0-busy"
{ printf 'config='; chars $MiB 9; echo; } >"$e/vcs0-busy"
printf 'config=0x\0\377\n' >"$e/vecs0-busy"
ln -sfn interrupts "$e/interrupts"
printf '\377\376' >"$e/rc6-residency.unit"
printf 'garbage\n' >"$gt/rc6_residency_ms"
chars $MiB 5 >"$gt/rps_act_freq_mhz"
printf '99999999999999999999999\n' >"$gt/rps_cur_freq_mhz"
printf -- '-300\n' >"$gt/rps_max_freq_mhz"
rm -r "$d/0000:00:02.0/drm/card0/engine/vcs0/class"
mkdir "$d/0000:00:02.0/drm/card0/engine/vcs0/class"
printf '226:abc\n' >"$d/0000:00:02.4/drm/renderD130/dev"
rm "$d/0000:00:02.5/drm/renderD131/dev" && mkfifo "$d/0000:00:02.5/drm/renderD131/dev"
rm "$H/root/dev/dri/renderD132" && mkfifo "$H/root/dev/dri/renderD132"
rm "$H/root/dev/dri/renderD133" && mkdir "$H/root/dev/dri/renderD133"

once "$H" gpu
pre=bus/event_source/devices/i915/events
card=bus/pci/devices/0000:00:02.0/drm/card0
check "gpu: finishes (no hang on FIFOs) and exits 0" exited_0 gpu
check "gpu: every collector succeeds" all_succeed gpu
for ev in "bcs0-busy Invalid argument" "vcs0-busy File too large" \
	"vecs0-busy Invalid argument" "interrupts Too many levels of symbolic links" \
	"rc6-residency.unit Invalid argument"; do
	check "gpu: PMU event ${ev%% *} skipped, logged once" \
		logged_once "$WORK/gpu.log" pmu "$pre/${ev%% *}" "${ev#* }"
done
check "gpu: pmu skipped exactly those five" skipped gpu pmu 5
check "gpu: the intact PMU event still counted (rcs0 busy)" grep -q \
	'^gpu_sriov_engine_busy_seconds_total{pci_address="0000:00:02.0",engine="rcs0",class="render",source="pmu"} ' \
	"$WORK/gpu.out"
check "gpu: no busy series from a bad event" \
	lacks gpu '^gpu_sriov_engine_busy_seconds_total{.*engine="[bv]'
for f in "rc6_residency_ms Invalid argument" "rps_act_freq_mhz File too large" \
	"rps_cur_freq_mhz Numerical result out of range" "rps_max_freq_mhz Invalid argument"; do
	check "gpu: GT file ${f%% *} skipped, logged once" \
		logged_once "$WORK/gpu.log" drm "$card/gt/gt0/${f%% *}" "${f#* }"
done
check "gpu: no RC6 or frequency invented from them" sh -c "
	! grep -q '^gpu_sriov_rc6_residency_seconds_total{pci_address=\"0000:00:02.0\"}' '$WORK/gpu.out' &&
	! grep -q '^gpu_sriov_gpu_frequency_hertz{pci_address=\"0000:00:02.0\",kind=\"\(actual\|requested\|max\)\"}' '$WORK/gpu.out'"
check "gpu: intact frequencies still reported" \
	has gpu 'gpu_sriov_gpu_frequency_hertz{pci_address="0000:00:02.0",kind="min"} 100000000'
check "gpu: engine with a directory as class skipped, logged once" \
	logged_once "$WORK/gpu.log" drm "$card/engine/vcs0" "Invalid argument"
check "gpu: ... and left out, the other engines kept" sh -c "
	! grep -q 'pci_address=\"0000:00:02.0\",engine=\"vcs0\"' '$WORK/gpu.out' &&
	grep -q '^gpu_sriov_engine_info{pci_address=\"0000:00:02.0\",engine=\"bcs0\",class=\"copy\",instance=\"0\"} 1$' '$WORK/gpu.out'"
check "gpu: garbage render node dev file skipped, logged once" logged_once "$WORK/gpu.log" drm \
	bus/pci/devices/0000:00:02.4/drm/renderD130/dev "Invalid argument"
check "gpu: FIFO render node dev file skipped, logged once" logged_once "$WORK/gpu.log" drm \
	bus/pci/devices/0000:00:02.5/drm/renderD131/dev "Invalid argument"
check "gpu: drm skipped exactly those seven" skipped gpu drm 7
for n in 130 131 132 133; do
	check "gpu: renderD$n not taken as present" grep -q \
		"^gpu_sriov_render_node_present{render_node=\"renderD$n\",pci_address=\"0000:00:02.[4-7]\"} 0$" \
		"$WORK/gpu.out"
done
check "gpu: the intact render nodes still present" has gpu 'gpu_sriov_render_nodes 2'
check "gpu: no source logged twice" no_repeats "$WORK/gpu.log"
check "gpu: output passes promtool" promtool_ok gpu

# --- Kernel log records -----------------------------------------------------------------------
# Appended after start (older records are not counted): a 1 MiB record, binary bytes, a
# negative, an overflowing and a non-numeric header field, a record without a message. Only
# the two well-formed hang records count.
K="$WORK/kmsg"
cp -a "$fixtures/host_n150" "$K"
# shellcheck disable=SC2046
if start_exporter "$bin" $(fixture_args "$K"); then
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics"
	{
		printf '3,1400,9001234,-;i915 0000:00:02.0: [drm] GPU HANG: '
		chars $MiB h
		echo
		printf '\0\377\376;garbage\n'
		printf -- '-1,-1,-1,-;i915 0000:00:02.0: [drm] GPU HANG: ecode 1\n'
		printf '3,99999999999999999999999,1,-;i915 0000:00:02.0: [drm] GPU HANG: ecode 2\n'
		printf '3,1401,x,-;i915 0000:00:02.0: [drm] GPU HANG: ecode 3\n'
		printf '3,1402,9101234,-\n'
		printf '3,1403,9201234,-;i915 0000:00:02.0: [drm] GPU HANG: ecode 12:1:85dffffb\n'
	} >>"$K/root/dev/kmsg"
	code=$(curl -s -o "$WORK/kmsg.out" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
	check "kmsg: scrape answered 200" test "$code" = 200
	check "kmsg: kmsg collector succeeds" \
		has kmsg 'gpu_sriov_scrape_collector_success{collector="kmsg"} 1'
	check "kmsg: the two well-formed hangs counted (the 1 MiB one by its first 8 KiB)" \
		has kmsg 'gpu_sriov_kernel_events_total{event="gpu_hang",pci_address="0000:00:02.0"} 2'
	check "kmsg: malformed records skipped and counted" skipped kmsg kmsg 5
	check "kmsg: logged once" logged_once "$WORK/exporter.log" kmsg \
		"dev/kmsg: a record that does not parse" "Invalid argument"
	check "kmsg: exporter still alive" kill -0 "$PID"
	stop_exporter
else
	check "kmsg: exporter starts" false
fi

report hostile-gpu
