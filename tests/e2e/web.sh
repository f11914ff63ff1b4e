#!/bin/bash
# The web config (TLS, client certificates, basic auth, headers, rate limit, reloads) and
# the connection limits, over real loopback sockets with curl, openssl-made certificates and
# htpasswd-made bcrypt hashes (what users run).
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fixture="$here/../fixtures/host_n150"
WORK=$(mktemp -d)
trap 'stop_exporter; kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
W=$WORK/web
mkdir -p "$W"
clients="python3 $here/web_clients.py"

fetch() { # fetch ARGS...: status code (000 when there was no HTTP answer); headers in $WORK/h
	curl -s -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' --max-time 10 "$@"
}
header() { tr -d '\r' <"$WORK/h" | sed -n "s/^$1: //Ip" | head -n 1; }
has_header() { tr -d '\r' <"$WORK/h" | grep -qi "^$1:"; }
# shellcheck disable=SC2046
start() { start_exporter "$bin" $(fixture_args "$fixture") "$@"; }

# --- material: a CA, a server and two client certificates from it, and a self-signed rogue
. "$here/pki.sh"
make_ca
issue server "IP:127.0.0.1,DNS:localhost" serverAuth
issue server2 "IP:127.0.0.1,DNS:localhost" serverAuth
# For the curve test: GnuTLS, like TLS 1.2 itself, also needs the certificate's curve in the
# client's list, so a P-384 certificate keeps that test about the key exchange.
issue server384 "IP:127.0.0.1,DNS:localhost" serverAuth P-384
issue client "DNS:prometheus.example" clientAuth
issue other "DNS:grafana.example" clientAuth
newkey rogue
ossl req -x509 -new -key "$W/rogue.key" -subj /CN=rogue -days 3650 -out "$W/rogue.crt" \
	-addext subjectAltName=DNS:prometheus.example -addext extendedKeyUsage=clientAuth
check "test certificates made" test -s "$W/rogue.crt" -a -s "$W/other.crt" -a -s "$W/server2.crt"
serial() { openssl x509 -noout -serial -in "$1" | cut -d= -f2; }
peer_serial() { # serial of the certificate the server presents
	openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$W/ca.crt" </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | cut -d= -f2
}
hash() { htpasswd -nbBC 5 "" "$1" | tr -d ':\n'; }
ALICE=$(hash wonderland)
BOB=$(hash builder)
check "htpasswd hashes are \$2y\$ bcrypt" test "${ALICE:0:7}" = '$2y$05$' 

tls=https://127.0.0.1
ca="--cacert $W/ca.crt"

# --- startup validation: a bad file is one line and exit 2, before anything listens
printf 'tls_server_config:\n  cert_file: server.crt\n' >"$W/bad.yml"
"$bin" --web.config.file="$W/bad.yml" --once $(fixture_args "$fixture") >/dev/null 2>"$WORK/err"
rc=$?
check "bad web config: exit 2" test $rc -eq 2
check "bad web config: one line naming the file" \
	sh -c "test \$(wc -l <'$WORK/err') -eq 1 && grep -q 'bad.yml' '$WORK/err'"
"$bin" --web.config.file="$W/missing.yml" --once $(fixture_args "$fixture") >/dev/null 2>"$WORK/err"
check "missing web config: exit 2" test $? -eq 2

# --- TLS with the defaults
cat >"$W/tls.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
EOF
start --web.config.file="$W/tls.yml" || exit 1
check "TLS: https scrape 200" test "$(fetch $ca "$tls:$PORT/metrics")" = 200
check "TLS: metrics body served" grep -q '^gpu_sriov_scrape_collector_success{collector="iommu"} 1$' "$WORK/b"
check "TLS: the configured certificate is presented" test "$(peer_serial)" = "$(serial "$W/server.crt")"
check "TLS: plain HTTP on the TLS port gets no 200" test "$(fetch "http://127.0.0.1:$PORT/metrics")" != 200
check "TLS: TLS 1.1 refused (default minimum TLS 1.2)" \
	test "$(fetch $ca --tlsv1.0 --tls-max 1.1 "$tls:$PORT/metrics")" = 000
check "TLS: TLS 1.2 accepted" test "$(fetch $ca --tlsv1.2 --tls-max 1.2 "$tls:$PORT/metrics")" = 200
check "TLS: TLS 1.3 accepted" test "$(fetch $ca --tlsv1.3 "$tls:$PORT/metrics")" = 200
check "TLS: an untrusted server is refused by the client (sanity)" \
	test "$(fetch "$tls:$PORT/metrics")" = 000

# reloads: web config reloads logged so far; wait_reloads N: until there are N (10 s at most).
reloads() { grep -c 'web config .* reloaded' "$WORK/exporter.log"; }
wait_reloads() {
	i=0
	while [ "$(reloads)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# --- SIGHUP: a new certificate without closing the listener
cp "$W/tls.yml" "$W/live.yml"
stop_exporter
start --web.config.file="$W/live.yml" || exit 1
first_pid=$PID
sed -i 's/server\./server2./' "$W/live.yml"
(
	while :; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 $ca "$tls:$PORT/metrics"
	done
) >"$WORK/during" &
loop=$!
sleep 0.5
for i in 1 2 3 4 5 6; do
	kill -HUP "$PID"
	sleep 0.4
	if [ $((i % 2)) -eq 1 ]; then sed -i 's/server2\./server./' "$W/live.yml"; else sed -i 's/server\./server2./' "$W/live.yml"; fi
done
sleep 0.5
kill $loop 2>/dev/null
wait $loop 2>/dev/null
check "reload: the same process and port throughout" test "$PID" = "$first_pid" -a "$(kill -0 "$PID" && echo up)" = up
n=$(wc -l <"$WORK/during")
bad=$(grep -vc '^200$' "$WORK/during")
echo "     ($n scrapes during 6 certificate reloads, $bad without a 200)"
check "reload: scrapes kept succeeding during 6 certificate reloads" test "$n" -gt 20 -a "$bad" -eq 0
# Each edit is also seen by the exporter's own file watch, which reloads once the file has stayed
# the same for a second: more reloads than signals may be logged.
check "reload: six SIGHUPs logged, each reloaded" \
	test "$(grep -c 'received SIGHUP' "$WORK/exporter.log")" -eq 6 -a "$(reloads)" -ge 6
n=$(reloads)
kill -HUP "$PID"
wait_reloads $((n + 1))
sleep 0.3
check "reload: the new certificate is presented" test "$(peer_serial)" = "$(serial "$W/server2.crt")"

# A broken file: 500 for everything, logged; fixing it brings 200 back.
cp "$W/live.yml" "$W/good.yml"
printf 'tls_server_config:\n  cert_file: server2.crt\n  key_file: server2.key\n  bogus: 1\n' >"$W/live.yml"
kill -HUP "$PID"
wait_for "$WORK/exporter.log" "did not load" >/dev/null
sleep 0.2
check "broken reload: 500" test "$(fetch $ca "$tls:$PORT/metrics")" = 500
check "broken reload: /healthz 500 too" test "$(fetch $ca "$tls:$PORT/healthz")" = 500
check "broken reload: logged with the reason" grep -q 'did not load.*bogus' "$WORK/exporter.log"
cp "$W/good.yml" "$W/live.yml"
kill -HUP "$PID"
sleep 0.5
check "fixed reload: 200 again" test "$(fetch $ca "$tls:$PORT/metrics")" = 200
# Plain HTTP to TLS and back, still on the same socket.
: >"$W/live.yml"
kill -HUP "$PID"
sleep 0.5
check "reload to plain HTTP: http 200" test "$(fetch "http://127.0.0.1:$PORT/metrics")" = 200
check "reload to plain HTTP: same process" test "$PID" = "$first_pid"
stop_exporter

# --- No SIGHUP: the exporter sees its files change (polled every second, taken once they have
# stayed the same for a second), as the toolkit re-reads them. A renewal that writes the key and
# then the certificate is read with both in place; a repointed symlink (certbot's live/) and a
# broken file are seen too.
cp "$W/server.crt" "$W/auto.crt" && cp "$W/server.key" "$W/auto.key"
printf 'tls_server_config:\n  cert_file: auto.crt\n  key_file: auto.key\n' >"$W/auto.yml"
start --web.config.file="$W/auto.yml" || exit 1
check "watch: the first certificate is presented" test "$(peer_serial)" = "$(serial "$W/server.crt")"
cp "$W/server2.key" "$W/auto.key" && cp "$W/server2.crt" "$W/auto.crt"
wait_reloads 1
check "watch: renewed files reloaded without a signal" test "$(reloads)" -eq 1
check "watch: ... and the new certificate presented" test "$(peer_serial)" = "$(serial "$W/server2.crt")"
check "watch: the key was never read without its certificate" \
	sh -c "! grep -q 'did not load' '$WORK/exporter.log'"
ln -s server.crt "$W/cur.crt" && ln -s server.key "$W/cur.key"
printf 'tls_server_config:\n  cert_file: cur.crt\n  key_file: cur.key\n' >"$W/auto.yml"
wait_reloads 2
check "watch: an edited config reloaded" test "$(peer_serial)" = "$(serial "$W/server.crt")"
ln -sfn server2.key "$W/cur.key" && ln -sfn server2.crt "$W/cur.crt"
wait_reloads 3
check "watch: repointed symlinks reloaded" test "$(peer_serial)" = "$(serial "$W/server2.crt")"
rm "$W/cur.crt" && echo garbage >"$W/cur.crt"
wait_for "$WORK/exporter.log" "did not load" >/dev/null
sleep 0.2
check "watch: a broken certificate file makes every request 500" \
	test "$(fetch $ca "$tls:$PORT/metrics")" = 500
cp "$W/server2.crt" "$W/cur.crt"
wait_reloads 4
check "watch: mended, 200 again" test "$(fetch $ca "$tls:$PORT/metrics")" = 200
check "watch: no signal was sent" sh -c "! grep -q 'received SIGHUP' '$WORK/exporter.log'"
stop_exporter

# --- versions, ciphers, curves
cat >"$W/tls13.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  min_version: TLS13
EOF
start --web.config.file="$W/tls13.yml" || exit 1
check "min_version TLS13: TLS 1.2 refused" test "$(fetch $ca --tls-max 1.2 "$tls:$PORT/metrics")" = 000
check "min_version TLS13: TLS 1.3 accepted" test "$(fetch $ca --tlsv1.3 "$tls:$PORT/metrics")" = 200
stop_exporter
cat >"$W/cipher.yml" <<EOF
tls_server_config:
  cert_file: server384.crt
  key_file: server384.key
  max_version: TLS12
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]
  curve_preferences: [CurveP384]
EOF
start --web.config.file="$W/cipher.yml" || exit 1
check "cipher_suites: the listed suite is accepted" \
	test "$(fetch $ca --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 "$tls:$PORT/metrics")" = 200
check "cipher_suites: another suite is refused" \
	test "$(fetch $ca --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 "$tls:$PORT/metrics")" = 000
check "curve_preferences: P-256 only client refused" \
	test "$(fetch $ca --curves prime256v1 "$tls:$PORT/metrics")" = 000
check "curve_preferences: P-384 client accepted" \
	test "$(fetch $ca --curves secp384r1 "$tls:$PORT/metrics")" = 200
check "max_version TLS12: TLS 1.3 only client refused" \
	test "$(fetch $ca --tlsv1.3 "$tls:$PORT/metrics")" = 000
stop_exporter

# --- client certificates
cat >"$W/mtls.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
EOF
start --web.config.file="$W/mtls.yml" || exit 1
cc() { echo "--cert $W/$1.crt --key $W/$1.key"; }
check "mTLS: no client certificate refused" test "$(fetch $ca "$tls:$PORT/metrics")" = 000
check "mTLS: self-signed client certificate refused" test "$(fetch $ca $(cc rogue) "$tls:$PORT/metrics")" = 000
check "mTLS: CA-signed client certificate 200" test "$(fetch $ca $(cc client) "$tls:$PORT/metrics")" = 200
check "mTLS: a server-only certificate (no clientAuth use) refused" \
	test "$(fetch $ca $(cc server2) "$tls:$PORT/metrics")" = 000
stop_exporter
printf '  client_allowed_sans: [prometheus.example]\n' >>"$W/mtls.yml"
start --web.config.file="$W/mtls.yml" || exit 1
check "allowed SANs: matching SAN 200" test "$(fetch $ca $(cc client) "$tls:$PORT/metrics")" = 200
check "allowed SANs: other SAN refused" test "$(fetch $ca $(cc other) "$tls:$PORT/metrics")" = 000
check "allowed SANs: self-signed with the SAN refused" test "$(fetch $ca $(cc rogue) "$tls:$PORT/metrics")" = 000
stop_exporter
cat >"$W/verify_if.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_ca_file: ca.crt
  client_auth_type: VerifyClientCertIfGiven
EOF
start --web.config.file="$W/verify_if.yml" || exit 1
check "VerifyClientCertIfGiven: none given 200" test "$(fetch $ca "$tls:$PORT/metrics")" = 200
check "VerifyClientCertIfGiven: good one 200" test "$(fetch $ca $(cc client) "$tls:$PORT/metrics")" = 200
check "VerifyClientCertIfGiven: bad one refused" test "$(fetch $ca $(cc rogue) "$tls:$PORT/metrics")" = 000
stop_exporter
cat >"$W/require_any.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAnyClientCert
EOF
start --web.config.file="$W/require_any.yml" || exit 1
check "RequireAnyClientCert: none refused" test "$(fetch $ca "$tls:$PORT/metrics")" = 000
check "RequireAnyClientCert: self-signed accepted (not verified)" \
	test "$(fetch $ca $(cc rogue) "$tls:$PORT/metrics")" = 200
stop_exporter

# --- basic auth, headers, rate limit (plain HTTP)
cat >"$W/auth.yml" <<EOF
basic_auth_users:
  alice: $ALICE
  bob: '$BOB'
http_server_config:
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Content-Security-Policy: default-src 'none'
EOF
start --web.config.file="$W/auth.yml" || exit 1
base=http://127.0.0.1:$PORT
check "auth: no credentials 401" test "$(fetch "$base/metrics")" = 401
check "auth: 401 asks for Basic" sh -c "tr -d '\r' <'$WORK/h' | grep -qi '^WWW-Authenticate: Basic'"
check "auth: 401 carries the configured headers" test "$(header X-Frame-Options)" = deny
check "auth: wrong password 401" test "$(fetch -u alice:wonderlan "$base/metrics")" = 401
check "auth: unknown user 401" test "$(fetch -u mallory:wonderland "$base/metrics")" = 401
check "auth: other user's password 401" test "$(fetch -u bob:wonderland "$base/metrics")" = 401
check "auth: right password 200" test "$(fetch -u alice:wonderland "$base/metrics")" = 200
check "auth: second user 200" test "$(fetch -u bob:builder "$base/metrics")" = 200
check "headers: on 200" test "$(header X-Content-Type-Options)" = nosniff
check "headers: CSP value intact" test "$(header Content-Security-Policy)" = "default-src 'none'"
check "auth: / and /healthz are protected too" \
	test "$(fetch "$base/")$(fetch "$base/healthz")" = 401401
check "auth: 404 after auth, with headers" \
	sh -c "test \"\$(curl -s -o /dev/null -D '$WORK/h' -w '%{http_code}' -u alice:wonderland '$base/nope')\" = 404 && tr -d '\r' <'$WORK/h' | grep -qi '^X-Frame-Options: deny'"
check "auth: POST without credentials 401 (auth before 405)" test "$(fetch -X POST "$base/metrics")" = 401
check "auth: POST with credentials 405" test "$(fetch -X POST -u alice:wonderland "$base/metrics")" = 405
check "auth: no password or hash in the log" \
	sh -c "! grep -q -e wonderland -e builder -e '\\\$2y\\\$' '$WORK/exporter.log'"
# Reload: bob removed, alice's password changed.
cat >"$W/auth.yml" <<EOF
basic_auth_users:
  alice: $(hash looking-glass)
EOF
kill -HUP "$PID"
wait_for "$WORK/exporter.log" reloaded >/dev/null
check "auth reload: old password 401" test "$(fetch -u alice:wonderland "$base/metrics")" = 401
check "auth reload: new password 200" test "$(fetch -u alice:looking-glass "$base/metrics")" = 200
check "auth reload: removed user 401" test "$(fetch -u bob:builder "$base/metrics")" = 401
check "auth reload: headers gone with the config" sh -c "! tr -d '\r' <'$WORK/h' | grep -qi '^X-Frame-Options'"
stop_exporter

# --- password guessing at bcrypt cost 10 (~70 ms a check): 8 addresses x 25 clients send random
# passwords for 8 s while the scraper, whose password is cached, scrapes every 0.4 s. bcrypt runs
# off the event loop, so every scrape is answered within Prometheus' default 10 s timeout (when
# the loop ran bcrypt, these 200 guessers made a scrape wait 10 s and more). Each address
# may have 2 checks waiting, so guessers get 429; a user whose check was never cached still gets
# in after the flood.
cat >"$W/guess.yml" <<EOF
basic_auth_users:
  alice: $(htpasswd -nbBC 10 "" wonderland | tr -d ':\n')
  carol: $(htpasswd -nbBC 10 "" tea-party | tr -d ':\n')
EOF
start --web.config.file="$W/guess.yml" || exit 1
base=http://127.0.0.1:$PORT
check "guessing: the scraper's password checked and cached" \
	test "$(fetch -u alice:wonderland "$base/metrics")" = 200
$clients guess "$PORT" alice 8 25 8 >"$WORK/guess" &
guesser=$!
sleep 1
codes="" slowest=0
for i in $(seq 1 15); do
	r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 -u alice:wonderland \
		"$base/metrics")
	codes="$codes${r%% *} "
	slowest=$(echo "$slowest ${r#* }" | awk '{ print ($2 > $1) ? $2 : $1 }')
	sleep 0.4
done
wait "$guesser"
echo "     (guessers: $(cat "$WORK/guess"); slowest of 15 scrapes meanwhile: $slowest s)"
check "guessing: 15 scrapes during the flood all answered 200 within 10 s" \
	test "$codes" = "$(printf '200 %.0s' $(seq 1 15))"
check "guessing: guessers refused (401) and held back per address (429)" \
	sh -c "grep -q '401=[1-9]' '$WORK/guess' && grep -q '429=[1-9]' '$WORK/guess'"
check "guessing: a password never checked before still gets in afterwards" \
	test "$(fetch -u carol:tea-party "$base/metrics")" = 200
stop_exporter

cat >"$W/rate.yml" <<EOF
rate_limit:
  interval: 1m
  burst: 3
http_server_config:
  headers:
    X-Frame-Options: sameorigin
EOF
start --web.config.file="$W/rate.yml" || exit 1
codes=""
for i in 1 2 3 4 5; do codes="$codes$(fetch "http://127.0.0.1:$PORT/metrics") "; done
check "rate limit: burst 3 then 429 ($codes)" test "$codes" = "200 200 200 429 429 "
check "rate limit: 429 comes before the configured headers" eval '! has_header X-Frame-Options'
stop_exporter

# --- connection limits (plain HTTP, no web config)
start --web.idle-timeout=2s --web.max-connections-per-ip=4 || exit 1
check "idle timeout: an idle connection is closed after 2 s" \
	test "$($clients idle "$PORT" 6)" = "closed after 2 s"
$clients hold 127.0.0.2 "$PORT" 6 4 >"$WORK/hold" &
holder=$!
sleep 2.5
check "per-address limit: 4 slow connections kept, 2 refused" test "$(head -n 1 "$WORK/hold")" = "refused 2 kept 4"
t0=$(date +%s%N)
check "slow connections from another address do not block a scrape" \
	test "$(fetch "http://127.0.0.1:$PORT/metrics")" = 200
t1=$(date +%s%N)
echo "     (scrape next to 4 slow-loris connections: $(((t1 - t0) / 1000000)) ms)"
wait $holder
check "header over the 32 KiB limit: 431, not a crash" \
	test "$($clients bigheader "$PORT" 65536)" = "HTTP/1.1 431 Request Header Fields Too Large"
check "header under the limit: served" test "$($clients bigheader "$PORT" 20000)" = "HTTP/1.1 200 OK"
check "exporter alive after the limit tests" kill -0 "$PID"
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9][0-9]*\) kB$/\1/p' "/proc/$PID/status"; }
rss0=$(rss)
for i in $(seq 1 300); do $clients bigheader "$PORT" 30000 >/dev/null; done
rss1=$(rss)
echo "     (RSS before/after 300 requests with 30 KB headers: $rss0 / $rss1 KiB)"
check "memory: 300 large requests grow RSS by < 1 MiB" test -n "$rss0" -a -n "$rss1" -a $((${rss1:-0} - ${rss0:-0})) -lt 1024
stop_exporter
start --web.max-connections=3 --web.max-connections-per-ip=0 || exit 1
$clients hold 127.0.0.3 "$PORT" 5 3 >"$WORK/hold" &
holder=$!
sleep 2
check "connection limit: 3 kept, 2 refused" test "$(head -n 1 "$WORK/hold")" = "refused 2 kept 3"
wait $holder
check "connection limit: served again once they are gone" test "$(fetch "http://127.0.0.1:$PORT/metrics")" = 200
check "connection flood: 3000 connections opened, reset, half-sent" test "$($clients flood "$PORT" 3000)" = "done"
sleep 0.5
check "connection flood: the limit recovers fully (3 kept, the 4th refused)" \
	test "$($clients hold 127.0.0.3 "$PORT" 4 0)" = "refused 1 kept 3"
check "connection flood: served afterwards" test "$(fetch "http://127.0.0.1:$PORT/metrics")" = 200
stop_exporter

# --- hostile requests: bodies nobody asked for, odd shapes, pipelining (plain HTTP)
start || exit 1
send() { $clients send "$PORT" "$1"; }
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9][0-9]*\) kB$/\1/p' "/proc/$PID/status"; }
check "POST with a 200 MiB body: 405, the body is not read" \
	test "$($clients body "$PORT" POST /metrics cl 200)" = "HTTP/1.1 405 Method Not Allowed, closed early"
check "PUT with a 200 MiB chunked body: 405, not read" \
	test "$($clients body "$PORT" PUT / chunked 200)" = "HTTP/1.1 405 Method Not Allowed, closed early"
check "GET /metrics with a 200 MiB body: 200, not read" \
	test "$($clients body "$PORT" GET /metrics cl 200)" = "HTTP/1.1 200 OK, closed early"
check "GET / with a 200 MiB chunked body: 200, not read" \
	test "$($clients body "$PORT" GET / chunked 200)" = "HTTP/1.1 200 OK, closed early"
check "GET with a small body: one answer; the body is not taken for a request" \
	test "$(send 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 31\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n')" = "HTTP/1.1 200 OK, closed"
check "GET with a body and Expect: 100-continue: 200, no 100 asking for the body" \
	test "$(send 'GET /metrics HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100000000\r\n\r\n')" = "HTTP/1.1 200 OK, closed"
check "POST with Expect: 100-continue: 405, no 100 asking for the body" \
	test "$(send 'POST /metrics HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100000000\r\n\r\n')" = "HTTP/1.1 405 Method Not Allowed, closed"
# Four clients sending bodies in a loop while Prometheus scrapes; a buffered body would show in
# the peak RSS.
hwm0=$(hwm)
attackers=""
for m in "POST /metrics cl" "GET /metrics chunked" "PUT / chunked" "GET / cl"; do
	# shellcheck disable=SC2086
	(for i in 1 2 3 4 5 6; do $clients body "$PORT" $m 200; done) >>"$WORK/attacks" &
	attackers="$attackers $!"
done
scrapes=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	scrapes="$scrapes$(curl -s -o /dev/null -w '%{http_code}:%{time_total} ' --max-time 10 "http://127.0.0.1:$PORT/metrics")"
	sleep 0.1
done
# shellcheck disable=SC2086
wait $attackers
hwm1=$(hwm)
echo "     (scrapes during 24 body attacks, code:seconds: $scrapes; peak RSS $hwm0 -> $hwm1 KiB)"
check "body attacks: every one answered, none read to the end" \
	test "$(grep -c ', closed early$' "$WORK/attacks")" -eq 24 -a "$(grep -c '^HTTP/1.1 [24]0[05] ' "$WORK/attacks")" -eq 24
check "body attacks: 10 scrapes meanwhile, all 200" test "$(echo "$scrapes" | grep -o '200:' | wc -l)" -eq 10
check "body attacks: peak RSS grew < 16 MiB" test -n "$hwm0" -a -n "$hwm1" -a $((${hwm1:-0} - ${hwm0:-0})) -lt 16384
check "100 small headers: served" test "$($clients headers "$PORT" 100)" = "HTTP/1.1 200 OK"
check "3000 small headers (36 KB, over the limit): 431" \
	test "$($clients headers "$PORT" 3000)" = "HTTP/1.1 431 Request Header Fields Too Large"
long_target() { # long_target PREFIX BYTES: a request for PREFIX followed by BYTES letters
	{ printf 'GET %s' "$1"; head -c "$2" /dev/zero | tr '\0' a; printf ' HTTP/1.1\\r\\n\\r\\n'; } |
		$clients send "$PORT" -
}
check "100 KB URL: 414" test "$(long_target / 100000)" = "HTTP/1.1 414 URI Too Long, closed"
check "1 MB query string: 414" test "$(long_target '/metrics?q=' 1000000)" = "HTTP/1.1 414 URI Too Long, closed"
check "folded header line (obs-fold): served" \
	test "$(send 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n')" = "HTTP/1.1 200 OK, closed"
check "header line without a colon: 400" \
	test "$(send 'GET /metrics HTTP/1.1\r\nHost: x\r\ngarbage\r\n\r\n')" = "HTTP/1.1 400 Bad Request, closed"
check "HTTP/0.9 request: 400" test "$(send 'GET /metrics\r\n')" = "HTTP/1.1 400 Bad Request, closed"
check "HTTP/1.0 request: served, then closed" test "$(send 'GET /metrics HTTP/1.0\r\n\r\n')" = "HTTP/1.1 200 OK, closed"
check "100 pipelined GETs in one write: answered in order" test "$($clients pipeline "$PORT" 100)" = "100 answers in order"
rss0=$(rss)
for i in 1 2 3; do $clients pipeline "$PORT" 1000 >/dev/null; done
rss1=$(rss)
echo "     (RSS before/after 3 x 1000 pipelined GETs: $rss0 / $rss1 KiB)"
check "memory: 3000 pipelined GETs grow RSS by < 2 MiB" test -n "$rss0" -a -n "$rss1" -a $((${rss1:-0} - ${rss0:-0})) -lt 2048
# Clients that ask for a lot and read nothing: the server holds one answer per connection, not
# one per request asked for (1000 each, 25 MB).
rss0=$(rss)
$clients slowread "$PORT" 20 2 >"$WORK/slow" &
slow=$!
wait_for "$WORK/slow" held >/dev/null
rss1=$(rss)
check "slow readers: a scrape meanwhile 200" test "$(fetch "http://127.0.0.1:$PORT/metrics")" = 200
wait $slow
echo "     (RSS before/with 20 connections asking 1000 scrapes each and reading none: $rss0 / $rss1 KiB)"
check "memory: 20 non-reading clients with 1000 requests each grow RSS by < 8 MiB" \
	test -n "$rss0" -a -n "$rss1" -a $((${rss1:-0} - ${rss0:-0})) -lt 8192
# A collection is shared by the scrapes that arrive while it runs: one asked for with a deadline
# already past would fail every collector for them too.
fetch -H 'X-Prometheus-Scrape-Timeout-Seconds: 1e-300' "http://127.0.0.1:$PORT/metrics" >/dev/null
check "scrape timeout header of 1e-300 s: every collector still runs" \
	sh -c "grep -q '^gpu_sriov_scrape_collector_success' '$WORK/b' && ! grep -q '^gpu_sriov_scrape_collector_success.* 0\$' '$WORK/b'"
check "exporter alive after the hostile requests" kill -0 "$PID"
stop_exporter

# --- hostile TLS clients: stalled handshakes hold a connection only until the idle timeout
start --web.config.file="$W/tls.yml" --web.idle-timeout=2s --web.max-connections=30 \
	--web.max-connections-per-ip=20 || exit 1
$clients stall 127.0.0.4 "$PORT" 24 5 >"$WORK/stall" &
staller=$!
wait_for "$WORK/stall" kept >/dev/null
check "TLS stalls: 24 handshakes stalled (no or half a ClientHello): 20 kept, 4 over the per-address limit" \
	test "$(head -n 1 "$WORK/stall")" = "refused 4 kept 20"
check "TLS stalls: a scrape from another address meanwhile 200" test "$(fetch $ca "$tls:$PORT/metrics")" = 200
wait $staller
check "TLS stalls: closed at the 2 s idle timeout" test "$(sed -n 2p "$WORK/stall")" = "closed 20 after 2 s"
check "TLS stalls: the stalled address is served again" \
	test "$(fetch $ca --interface 127.0.0.4 "$tls:$PORT/metrics")" = 200
check "TLS: POST with a 200 MiB body: 405, not read" \
	test "$($clients body "tls:$PORT" POST /metrics cl 200)" = "HTTP/1.1 405 Method Not Allowed, closed early"
check "TLS: GET with a 200 MiB chunked body: 200, not read" \
	test "$($clients body "tls:$PORT" GET /metrics chunked 200)" = "HTTP/1.1 200 OK, closed early"
check "TLS: 100 pipelined GETs answered in order" test "$($clients pipeline "tls:$PORT" 100)" = "100 answers in order"
check "TLS: flood of 2000 connections (no handshake, reset, junk)" test "$($clients flood "$PORT" 2000)" = "done"
sleep 0.5
$clients stall 127.0.0.5 "$PORT" 20 5 >"$WORK/stall"
check "TLS flood: no slot leaked (20 stalls from a fresh address kept, closed at the timeout)" \
	test "$(tr '\n' ' ' <"$WORK/stall")" = "refused 0 kept 20 closed 20 after 2 s "
check "TLS flood: served afterwards" test "$(fetch $ca "$tls:$PORT/metrics")" = 200
stop_exporter

report web-test
