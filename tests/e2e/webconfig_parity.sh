#!/bin/sh
# Runs the real `promtool check web-config` (Debian 12's prometheus package: promtool 2.42, which
# embeds exporter-toolkit 0.8) and our parser (tests/tools/webconfig_check.c, web_config_load())
# on every file in tests/fixtures/webconfig/ and compares their verdicts. The file name says what
# is expected:
#   *.good.yml      both accept;
#   *.bad.yml       both reject;
#   *.newer.yml     we accept, promtool 2.42 rejects: keys of newer toolkits;
#   *.stricter.yml  we reject, promtool 2.42 accepts: deliberate differences.
# Lines "# ours: TEXT" and "# promtool: TEXT" at the top of a file name text the respective
# error message must contain, so each rejection is pinned to its reason (a fixture that fails
# for some other reason, a missing file say, does not pass unnoticed).
#
# The pinned differences, and why:
#   newer: rate_limit (toolkit 0.9); inline cert, key and client_ca (0.10); client_allowed_sans
#     (0.9). The exporter implements them; 0.8 reports "field ... not found". Misuses of those
#     keys are *.bad.yml, rejected by both for different reasons: cert with cert_file (we refuse
#     the ambiguity), client_allowed_sans with a client_auth_type that lets a client send no
#     certificate (as newer toolkits do); an empty client_allowed_sans list, which would admit no
#     client, is refused too (test_webconfig).
#   stricter, TLS: min_version above max_version (Go fails every handshake instead); a
#     cipher_suites list that leaves no suite for the enabled versions, and a TLS 1.3-only config
#     listing only TLS 1.2 CBC suites (GnuTLS has one cipher list for all versions, Go ignores the
#     list for TLS 1.3); a client CA file holding no certificate (Go ignores the parse failure and
#     then trusts no client; also an empty or DER file); VerifyClientCertIfGiven or
#     RequireAndVerifyClientCert without a client CA (Go would verify against the system's
#     public CAs: for a metrics endpoint a mistake, and libmicrohttpd could not load that
#     trust); max_version below the default min_version TLS12; a cipher_suites or
#     curve_preferences list of null entries only (Go keeps a list of ID 0 that matches
#     nothing; skipping them would silently mean GnuTLS's defaults; nulls next to names are
#     skipped by both).
#   stricter, basic_auth_users: Go's bcrypt.Cost() checks only the "$2?$NN$" prefix; we require a
#     complete 60-character $2a$/$2b$/$2y$ hash in bcrypt's alphabet, which libxcrypt can verify
#     ("$2x$" is the buggy crypt_blowfish variant; Go also takes "$1$", "$2$", "$2c$", "$2Y$",
#     and a hash with a "|" block's final newline, a folded line break or a "#..." tail, none of
#     which can ever match); user names with ':' (Basic auth splits there, so the user could
#     never log in) or control characters.
#   stricter, headers: values with control characters (CR or LF would split the response; a "|"
#     block scalar keeps a final newline; DEL, which HTTP forbids too) or NUL.
#   stricter, YAML: anchors, aliases, tags, merge keys, directives, complex keys and several
#     documents (Go reads the first, silently; even broken YAML after a "---" or "..." passes
#     promtool) are outside our YAML subset (exporter/yaml.h). Empty documents after the first
#     ("---" lines, comments) lose nothing and are accepted. NEL, LS and PS (U+0085, U+2028,
#     U+2029) are line breaks in libyaml's YAML 1.1, invisible ones in an editor: refused. A
#     byte order mark only at the start (yaml.v2 mangles a file with two: bom-twice.bad.yml).
# Where libyaml is stricter than YAML 1.2 we follow it: "..." before any document, the "\/"
# escape.
# promtool's toolkit 0.8 compares X-Frame-Options and X-Content-Type-Options values case-
# sensitively, as every later toolkit does; so do we (header-frame-options.bad.yml).
#
# Every rejected file (*.bad.yml, *.stricter.yml) is also given to the exporter itself when its
# binary is passed: it must refuse to start with exit 2 and one line on stderr naming the file.
#
# Usage: webconfig_parity.sh CHECK_BINARY [EXPORTER_BINARY]
set -u
tool=$1
exporter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fixtures="$here/../fixtures/webconfig"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if ! command -v promtool >/dev/null 2>&1; then
	echo "FAIL: promtool is not installed (make deps installs the prometheus package)"
	exit 1
fi
echo "using $(promtool --version 2>&1 | head -n 1)"

# expect FILE KEY: the text after "# KEY: " in FILE's leading comment lines, if any (after the
# byte order marks a file may start with).
expect() {
	sed -n "1s/^\(\xef\xbb\xbf\)*//; /^[^#]/q; s/^# $2: //p" "$1" | head -n 1
}

# promtool prints "FILE SUCCESS" or "FILE FAILED: reason" (the reason may span lines).
promtool_ok() {
	promtool check web-config "$1" >"$WORK/promtool.out" 2>&1
}

ours_ok() {
	"$tool" "$1" >"$WORK/ours.out" 2>&1
	rc=$?
	# 0 valid, 2 invalid; anything else (a crash, a usage error) is a failure of its own.
	[ $rc -eq 0 ] || [ $rc -eq 2 ] || echo "    our checker exited $rc" >>"$WORK/ours.out"
	return $rc
}

# contains FILE TEXT: FILE (one output) contains TEXT verbatim.
contains() {
	grep -qF -- "$2" "$1"
}

# exporter_refuses FILE: starts the exporter with FILE as its web config and --once over an
# empty tree, so that a wrongly accepted file ends the run instead of serving; returns its
# exit code, stderr in $WORK/exporter.err.
exporter_refuses() {
	mkdir -p "$WORK/root"
	timeout 20 "$exporter" --web.config.file="$1" --once --path.sysfs="$WORK/root" \
		--path.procfs="$WORK/root" --path.rootfs="$WORK/root" >/dev/null 2>"$WORK/exporter.err"
}

one_line_naming() {
	[ "$(wc -l <"$WORK/exporter.err")" -eq 1 ] && grep -qF -- "$1" "$WORK/exporter.err"
}

show() {
	sed "s|$fixtures/||; s/^/    /" "$WORK/promtool.out" | sed 's/^    /    promtool: /'
	sed "s|$fixtures/||; s/^/    ours: /" "$WORK/ours.out"
}

ngood=0 nbad=0 nnewer=0 nstricter=0
for f in "$fixtures"/*.yml; do
	fname=$(basename "$f")
	promtool_ok "$f"
	p=$?
	ours_ok "$f"
	o=$?
	want_ours=$(expect "$f" ours)
	want_promtool=$(expect "$f" promtool)
	show
	case $fname in
	*.good.yml)
		ngood=$((ngood + 1))
		check "$fname: promtool accepts" [ $p -eq 0 ]
		check "$fname: we accept" [ $o -eq 0 ]
		;;
	*.bad.yml)
		nbad=$((nbad + 1))
		check "$fname: promtool rejects" [ $p -ne 0 ]
		check "$fname: we reject" [ $o -eq 2 ]
		;;
	*.newer.yml)
		nnewer=$((nnewer + 1))
		check "$fname: promtool 2.42 rejects (key of a newer toolkit)" [ $p -ne 0 ]
		check "$fname: we accept" [ $o -eq 0 ]
		;;
	*.stricter.yml)
		nstricter=$((nstricter + 1))
		check "$fname: promtool 2.42 accepts" [ $p -eq 0 ]
		check "$fname: we reject (deliberately stricter)" [ $o -eq 2 ]
		;;
	*)
		check "$fname: named *.good.yml, *.bad.yml, *.newer.yml or *.stricter.yml" false
		continue
		;;
	esac
	if [ -n "$want_ours" ]; then
		check "$fname: our message contains \"$want_ours\"" contains "$WORK/ours.out" "$want_ours"
	fi
	if [ -n "$want_promtool" ]; then
		check "$fname: promtool's message contains \"$want_promtool\"" \
			contains "$WORK/promtool.out" "$want_promtool"
	fi
	# Every rejection must say why; a pinned one must say what was expected.
	case $fname in
	*.bad.yml | *.stricter.yml)
		check "$fname: has a \"# ours:\" line" [ -n "$want_ours" ]
		if [ -n "$exporter" ]; then
			exporter_refuses "$f"
			check "$fname: the exporter refuses to start (exit 2)" [ $? -eq 2 ]
			check "$fname: with one line on stderr naming the file" one_line_naming "$fname"
		fi
		;;
	esac
	case $fname in
	*.bad.yml | *.newer.yml)
		check "$fname: has a \"# promtool:\" line" [ -n "$want_promtool" ]
		;;
	esac
done

# The comparison must be able to fail: a good file with an unknown key added is rejected by both.
cp "$fixtures"/*.crt "$fixtures"/*.key "$WORK/"
cp "$fixtures/full.good.yml" "$WORK/doctored.yml"
echo "no_such_key: 1" >>"$WORK/doctored.yml"
promtool_ok "$WORK/doctored.yml"
p=$?
ours_ok "$WORK/doctored.yml"
o=$?
check "a doctored good file is rejected by promtool" [ $p -ne 0 ]
check "a doctored good file is rejected by us" [ $o -eq 2 ]
check "the doctored file's message names the key" contains "$WORK/ours.out" \
	"field no_such_key not found in type web.Config"

echo "fixtures: $ngood good, $nbad bad, $nnewer newer, $nstricter stricter"
check "at least 100 good fixtures" [ $ngood -ge 100 ]
check "at least 150 bad fixtures" [ $nbad -ge 150 ]
check "at least 40 stricter fixtures" [ $nstricter -ge 40 ]
report "webconfig-parity"
