/* sha1_loop.c - the signing floor: OpenSSL's SHA1 (EVP, one reused context) of a string
 * (the string-to-sign plus the private key, as the signer hashes it), N times. The digest
 * is fetched once (OpenSSL 3: EVP_sha1() would make each EVP_DigestInit_ex fetch it again).
 *   sha1_loop FILE N   -> prints "<seconds for the N digests> <hex of the last one>" */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "slurp.h"

int main(int argc, char **argv)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, j;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    const EVP_MD *sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
#else
    const EVP_MD *sha1 = EVP_sha1();
#endif
    size_t len;
    char *s;
    long n, i;
    double t;

    if (argc < 3) {
        fprintf(stderr, "usage: sha1_loop FILE N\n");
        return 2;
    }
    s = slurp(argv[1], &len);
    n = atol(argv[2]);
    t = now();
    for (i = 0; i < n; i++) {
        EVP_DigestInit_ex(ctx, sha1, NULL);
        EVP_DigestUpdate(ctx, s, len);
        EVP_DigestFinal_ex(ctx, md, &mdlen);
    }
    t = now() - t;
    printf("%.9f ", t);
    for (j = 0; j < mdlen; j++)
        printf("%02x", md[j]);
    printf("\n");
    EVP_MD_CTX_free(ctx);
    free(s);
    return 0;
}
