/* Exits at once: what forkexec executes. */
int main(void) { return 0; }
