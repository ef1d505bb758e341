/* A first program to run in ExoV6: who am I, and what is around me. */
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct utsname u;
  uname(&u);
  printf("Hello from %s: pid %d, parent %d, on %s %s (%s)\n", argc > 0 ? argv[0] : "?", getpid(), getppid(), u.sysname,
         u.release, u.machine);
  return 0;
}
