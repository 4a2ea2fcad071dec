#!/usr/bin/env bash
# Makes the local cluster's keys and certificates (ECDSA P-256, fast to generate):
# a CA, the API server's serving certificate for 127.0.0.1/localhost, client certificates
# for the admin and each component, and the service-account signing key pair.
# Usage: pki.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir" && cd "$dir"
[ -f done ] && exit 0

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null; }

key ca
openssl req -x509 -new -key ca.key -subj "/CN=highlander-local-ca" -days 3650 -out ca.crt 2>/dev/null

# sign NAME SUBJECT EXTENSIONS: a certificate for NAME.key signed by the CA.
sign() {
  key "$1"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
client='keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
sign apiserver "/CN=kube-apiserver" 'keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local'
sign admin "/O=system:masters/CN=highlander-admin" "$client"
sign controller-manager "/CN=system:kube-controller-manager" "$client"
sign scheduler "/CN=system:kube-scheduler" "$client"
# kwok plays every kubelet, so it needs more than system:node can give one node.
sign kwok "/O=system:masters/CN=kwok" "$client"

key sa
openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
chmod 600 ./*.key
touch done
