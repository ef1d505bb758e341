/* Reads all of stdin with read(2) in odd-sized chunks and with stdio, then
 * prints the byte count, line count, a CRC-32 and a word count.  Exits with
 * the line count modulo 256. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <stdint.h>

static uint32_t crc_table[256];

int main(int argc, char **argv) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    int use_stdio = argc > 1 && argv[1][0] == 's';
    uint64_t bytes = 0, lines = 0, words = 0, reads = 0;
    uint32_t crc = ~0u;
    int in_word = 0;
    unsigned char buf[3000];
    unsigned char last = '\n';
    for (;;) {
        ssize_t n;
        if (use_stdio) {
            n = (ssize_t)fread(buf, 1, 1 + reads % sizeof buf, stdin);
            if (n == 0) break;
        } else {
            n = read(0, buf, 1 + (reads * 997) % sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) { perror("read"); return 255; }
            if (n == 0) break;
        }
        reads++;
        for (ssize_t i = 0; i < n; i++) {
            unsigned char c = buf[i];
            crc = crc_table[(crc ^ c) & 0xff] ^ (crc >> 8);
            if (c == '\n') lines++;
            int space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
            if (!space && !in_word) words++;
            in_word = !space;
            last = c;
        }
        bytes += (uint64_t)n;
    }
    printf("mode=%s bytes=%llu lines=%llu words=%llu crc32=%08x %s\n", use_stdio ? "stdio" : "read",
           (unsigned long long)bytes, (unsigned long long)lines, (unsigned long long)words, ~crc,
           last == '\n' ? "ends-with-newline" : "no-final-newline");
    return (int)(lines % 256);
}
