/* Generates pseudo-random text from a syllable table, counts word frequencies
 * in an open-addressing hash table (with resizing), and prints the top words
 * sorted by count then alphabetically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include "corpus.h"

typedef struct { char *word; unsigned count; } entry;

static entry *table;
static size_t cap, used;

static uint32_t hash_str(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static void insert(const char *w, unsigned add);

static void grow(void) {
    entry *old = table;
    size_t oldcap = cap;
    cap = cap ? cap * 2 : 64;
    table = calloc(cap, sizeof *table);
    used = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].word) { insert(old[i].word, old[i].count); free(old[i].word); }
    free(old);
}

static void insert(const char *w, unsigned add) {
    if ((used + 1) * 4 > cap * 3) grow();
    size_t i = hash_str(w) & (cap - 1);
    while (table[i].word) {
        if (strcmp(table[i].word, w) == 0) { table[i].count += add; return; }
        i = (i + 1) & (cap - 1);
    }
    table[i].word = strdup(w);
    table[i].count = add;
    used++;
}

static int by_count(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

int main(void) {
    static const char *const syl[] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ex", "o", "v", "six", "an", "de"};
    lcg_t g;
    lcg_seed(&g, 8);
    size_t textcap = 100000, len = 0;
    char *text = malloc(textcap);
    while (len + 64 < textcap) {
        int nsyl = 1 + (int)lcg_below(&g, 3);
        for (int k = 0; k < nsyl; k++) {
            /* skewed choice so frequencies differ */
            uint32_t r = lcg_below(&g, 1000);
            const char *s = syl[(r * r / 1000) * 14 / 1000];
            size_t l = strlen(s);
            memcpy(text + len, s, l);
            len += l;
        }
        if (lcg_below(&g, 10) == 0) text[len - 1] = (char)toupper((unsigned char)text[len - 1]);
        uint32_t p = lcg_below(&g, 20);
        text[len++] = p == 0 ? '.' : p == 1 ? ',' : p == 2 ? '\n' : ' ';
    }
    text[len] = 0;

    size_t words = 0;
    char w[64];
    for (char *p = text; *p;) {
        while (*p && !isalpha((unsigned char)*p)) p++;
        size_t n = 0;
        while (*p && isalpha((unsigned char)*p)) { if (n < 63) w[n++] = (char)tolower((unsigned char)*p); p++; }
        if (n) { w[n] = 0; insert(w, 1); words++; }
    }
    entry *list = malloc(used * sizeof *list);
    size_t k = 0;
    for (size_t i = 0; i < cap; i++) if (table[i].word) list[k++] = table[i];
    qsort(list, k, sizeof *list, by_count);
    printf("text %zu bytes, %zu words, %zu distinct, table capacity %zu\n", len, words, k, cap);
    for (size_t i = 0; i < 15 && i < k; i++) printf("%2zu %-10s %u\n", i + 1, list[i].word, list[i].count);
    unsigned singles = 0;
    for (size_t i = 0; i < k; i++) singles += list[i].count == 1;
    printf("words seen once: %u, rarest: %s\n", singles, list[k - 1].word);
    unsigned code = list[0].count % 200;
    for (size_t i = 0; i < cap; i++) free(table[i].word);
    free(table);
    free(list);
    free(text);
    return (int)code;
}
