/* socket_loop.c - the raw-socket floor: a prebuilt HTTP/1.1 request (a file, sent as it is)
 * written N times over C kept-alive connections to 127.0.0.1:PORT; each answer read until
 * its head and Content-Length bytes of body are in. With C > 1 each round writes the request
 * on every connection and then reads every answer, so a server sees C requests at once
 * (a load generator for throughput; C = 1 is the sequential floor).
 *   socket_loop REQFILE PORT N [C]   -> prints "<seconds for the N requests> <answers>"
 * One warm-up round first, not timed. Every answer must be a 200. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slurp.h"

#define MAXC 256

static char buf[1 << 20];

static int dial(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("socket_loop: connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            perror("socket_loop: write");
            exit(1);
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Reads one answer: head, then Content-Length bytes of body. Only keep-alive answers with a
 * Content-Length are expected (what the bench's nginx sends). */
static void read_answer(int fd)
{
    size_t have = 0, need = 0;
    char *end = NULL;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
        if (r <= 0) {
            fprintf(stderr, "socket_loop: connection closed mid-answer\n");
            exit(1);
        }
        have += (size_t)r;
        buf[have] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            char *cl = strcasestr(buf, "\r\ncontent-length:");
            if (strncmp(buf, "HTTP/1.1 200", 12) != 0 || !cl || cl > end) {
                fprintf(stderr, "socket_loop: unexpected answer: %.80s\n", buf);
                exit(1);
            }
            need = (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10);
        }
        if (end && have >= need)
            break;
    }
    if (have != need) {
        fprintf(stderr, "socket_loop: more bytes than one answer (pipelining is not used)\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    int fds[MAXC], port, c = 1, k;
    long n, done = 0;
    size_t len;
    char *req;
    double t;

    if (argc < 4) {
        fprintf(stderr, "usage: socket_loop REQFILE PORT N [CONNECTIONS]\n");
        return 2;
    }
    req = slurp(argv[1], &len);
    port = atoi(argv[2]);
    n = atol(argv[3]);
    if (argc > 4)
        c = atoi(argv[4]);
    if (c < 1 || c > MAXC)
        c = 1;
    for (k = 0; k < c; k++)
        fds[k] = dial(port);
    for (k = 0; k < c; k++)
        send_all(fds[k], req, len);
    for (k = 0; k < c; k++)
        read_answer(fds[k]);
    t = now();
    while (done < n) {
        int m = n - done < c ? (int)(n - done) : c;
        for (k = 0; k < m; k++)
            send_all(fds[k], req, len);
        for (k = 0; k < m; k++)
            read_answer(fds[k]);
        done += m;
    }
    t = now() - t;
    printf("%.9f %ld\n", t, done);
    for (k = 0; k < c; k++)
        close(fds[k]);
    free(req);
    return 0;
}
