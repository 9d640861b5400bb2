/* curl_loop.c - the libcurl floor of bench/sequential.lua: N POSTs of one prebuilt body on one
 * reused easy handle (one kept-alive connection), each answer copied into one reused buffer.
 *   curl_loop URL BODYFILE N [HEADER ...]
 *     -> prints "<seconds for the N requests> <connections the N requests opened>"
 * One warm-up request first (it opens the connection), not timed: the N reuse it, so the
 * second figure is 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "slurp.h"

static char answer[1 << 20];
static size_t answer_len;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    size_t len = size * n;
    (void)ud;
    if (answer_len + len > sizeof answer)
        return 0;
    memcpy(answer + answer_len, p, len);
    answer_len += len;
    return len;
}

static long connects;

static int one(CURL *e)
{
    long status = 0, c = 0;
    answer_len = 0;
    if (curl_easy_perform(e) != CURLE_OK)
        return -1;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &c);
    connects += c;
    return status == 200 && answer_len > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct curl_slist *headers = NULL;
    size_t blen;
    char *body;
    long n, i;
    double t;
    CURL *e;

    if (argc < 4) {
        fprintf(stderr, "usage: curl_loop URL BODYFILE N [HEADER ...]\n");
        return 2;
    }
    body = slurp(argv[2], &blen);
    n = atol(argv[3]);
    for (i = 4; i < argc; i++)
        headers = curl_slist_append(headers, argv[i]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, argv[1]);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (one(e) != 0) {
        fprintf(stderr, "curl_loop: the warm-up request failed\n");
        return 1;
    }
    connects = 0;
    t = now();
    for (i = 0; i < n; i++)
        if (one(e) != 0) {
            fprintf(stderr, "curl_loop: request %ld failed\n", i + 1);
            return 1;
        }
    t = now() - t;
    printf("%.9f %ld\n", t, connects);
    curl_easy_cleanup(e);
    curl_slist_free_all(headers);
    free(body);
    return 0;
}
