/* Prints the host's CPUID vendor string and CPUID.(EAX=7,ECX=0):EBX in hex: "GenuineIntel f1bf2ffb". */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  unsigned a, b, c, d, max;
  char vendor[13];
  __cpuid(0, max, b, c, d);
  memcpy(vendor, &b, 4);
  memcpy(vendor + 4, &d, 4);
  memcpy(vendor + 8, &c, 4);
  vendor[12] = 0;
  unsigned ebx7 = 0;
  if (max >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    ebx7 = b;
  }
  printf("%s %08x\n", vendor, ebx7);
  return 0;
}
