/* Prints argc, every argv[i] (escaped), selected getenv() results, the whole
 * environment in order, and a few auxiliary-vector-free facts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void show(const char *label, const char *s) {
    printf("%s=", label);
    if (!s) { printf("(null)\n"); return; }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) printf("\\x%02x", *p);
        else putchar(*p);
    }
    printf("\" (len %zu)\n", strlen(s));
}

int main(int argc, char **argv, char **envp) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        char label[32];
        snprintf(label, sizeof label, "argv[%d]", i);
        show(label, argv[i]);
    }
    printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "NOT NULL");
    show("getenv(EXOV6)", getenv("EXOV6"));
    show("getenv(HOME)", getenv("HOME"));
    show("getenv(PATH)", getenv("PATH"));
    show("getenv(NOT_SET_ANYWHERE)", getenv("NOT_SET_ANYWHERE"));
    int n = 0;
    for (char **e = envp; *e; e++, n++) {
        char label[32];
        snprintf(label, sizeof label, "envp[%d]", n);
        show(label, *e);
    }
    printf("environ==envp: %s, envc=%d\n", environ == envp ? "yes" : "no", n);
    /* setenv/unsetenv work on the copy held by libc */
    setenv("EXOV6_ADDED", "value with spaces", 1);
    show("after setenv", getenv("EXOV6_ADDED"));
    unsetenv("HOME");
    show("after unsetenv(HOME)", getenv("HOME"));
    size_t total = 0;
    for (int i = 0; i < argc; i++) total += strlen(argv[i]);
    return (int)((unsigned)argc * 10 + total % 10);
}
