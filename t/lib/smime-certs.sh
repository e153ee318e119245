#!/bin/bash
# smime-certs.sh DIR - S/MIME test material, made fresh with openssl(1).
# Used by t/unit/smime.c and t/24-smime.t; takes about 3 s (EC P-256 keys).
#
#   ca.pem           trusted CA "Test CA" (also DIR/hashed/, openssl rehash)
#   other.pem        a CA nobody trusts
#   alice.pem/.key   signed by ca, subjectAltName email:Alice@Sender.test
#                    (mixed case on purpose: the match ignores case)
#   mallory.pem/.key signed by other, claims alice@sender.test
#   nomail.pem/.key  signed by ca, no e-mail address at all
#   old.pem/.key     signed by ca, alice's address, expired in 2020
#   content          the signed entity: text/plain "Hello fax", CRLF
#   good.eml         From: alice, multipart/signed by alice (detached)
#   opaque.eml       the same as application/pkcs7-mime signed-data
#   untrusted.eml    multipart/signed by mallory
#   expired.eml      multipart/signed by old
#   nomail.eml       multipart/signed by nomail
# Each .eml is the header below followed by openssl smime -sign's output.
set -e
cd "$1"
q() { "$@" >/dev/null 2>&1; }
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
ca() {	# ca NAME CN
	q openssl req -x509 "${newkey[@]}" -keyout "$1.key" -out "$1.pem" -days 30 -subj "/CN=$2" \
	    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {	# leaf NAME CA EXTENSION-LINE
	q openssl req "${newkey[@]}" -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
	printf 'keyUsage=digitalSignature\nextendedKeyUsage=emailProtection\n%s\n' "$3" >"$1.ext"
	q openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "$RANDOM" -days 30 \
	    -extfile "$1.ext" -out "$1.pem"
}
ca ca "Test CA"
ca other "Other CA"
leaf alice ca subjectAltName=email:Alice@Sender.test
leaf mallory other subjectAltName=email:alice@sender.test
leaf nomail ca ""
# Dates in the past need openssl ca (x509 -req only counts days from now).
: >index.txt
echo 1000 >serial
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n%s\n' \
    'default_md=sha256
policy=p
unique_subject=no
[p]
commonName=supplied' >ca.cnf
q openssl req "${newkey[@]}" -keyout old.key -out old.csr -subj "/CN=old"
q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in old.csr -out old.pem -notext \
    -startdate 20200101000000Z -enddate 20200201000000Z -extfile alice.ext
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nHello fax\r\nsecond line\r\n' >content
hdr='From: Alice <alice@sender.test>
To: FAX=+12025550100@fax.example.test
Subject: signed fax
Message-ID: <s1@sender.test>
'
sign() {	# sign OUT SIGNER [openssl smime options]
	local out=$1 who=$2
	shift 2
	{ printf '%s' "$hdr"; openssl smime -sign -in content -signer "$who.pem" -inkey "$who.key" "$@"; } >"$out"
}
sign good.eml alice
sign opaque.eml alice -nodetach
sign untrusted.eml mallory
sign expired.eml old
sign nomail.eml nomail
mkdir -p hashed
cp ca.pem hashed/
q openssl rehash hashed
