# Test certificates, sourced by the suites that serve TLS. Everything goes to the directory $W;
# openssl's chatter goes to $W/openssl.log.
ossl() { openssl "$@" >>"$W/openssl.log" 2>&1; }
# newkey NAME [CURVE]: an EC key (P-256 unless said) in $W/NAME.key.
newkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"${2:-P-256}" -out "$W/$1.key"; }
# make_ca: a self-signed CA, $W/ca.key and $W/ca.crt.
make_ca() {
	newkey ca
	ossl req -x509 -new -key "$W/ca.key" -subj /CN=test-ca -days 3650 -out "$W/ca.crt" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
}
# issue NAME SAN EKU [CURVE]: $W/NAME.{key,crt} signed by the CA, with those SANs and key usage.
issue() {
	newkey "$1" "${4:-P-256}"
	ossl req -new -key "$W/$1.key" -subj "/CN=$1" -out "$W/$1.csr"
	printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' "$2" "$3" >"$W/$1.ext"
	ossl x509 -req -in "$W/$1.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial \
		-days 3650 -extfile "$W/$1.ext" -out "$W/$1.crt"
}
