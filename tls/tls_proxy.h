/* Keys that hold no secret. A TLS context in a sandboxed process (relay,
 * engine) carries the certificate's public key with a method that sends
 * each private-key operation over privsep to the key holder
 * (keys/keys.c) and waits for the signature: the process that parses
 * the client's bytes never has the key (OpenBSD relayd's "ca" process,
 * OpenSSH's monitor signing for its child).
 *
 * This uses OpenSSL's RSA_METHOD and EC_KEY_METHOD (deprecated in 3.0 but
 * supported: such keys take libssl's legacy signing path). A provider
 * would see the whole to-be-signed message instead of its digest; the
 * methods are a tenth of the code, and the key holder checks the shape of
 * what it signs either way. */
#ifndef FTPSD_TLS_PROXY_H
#define FTPSD_TLS_PROXY_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>

/* A key for CERT's public key whose signatures are made by the key
 * holder, for vhost VHOST and key type KEY_TYPE (privsep/proto.h). NULL
 * for a key type other than RSA and EC. */
EVP_PKEY *tls_proxy_key(X509 *cert, uint32_t vhost, uint32_t key_type);

/* A key for CERT's public key that refuses every private operation: a
 * full handshake with it fails before any session exists. */
EVP_PKEY *tls_refusing_key(X509 *cert);

/* Where signing requests go from now on: this process's privsep link to
 * its monitor (-1: nowhere, every signature fails). */
void tls_proxy_set_channel(int fd);

/* The SNI name of the handshake in progress ("" none), sent with each
 * request so the monitor can check the vhost. */
void tls_proxy_set_server_name(const char *name);

#endif
