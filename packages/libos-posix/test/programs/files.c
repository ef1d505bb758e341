/* Files and directories in the working directory: create, write, read, seek, stat, rename, link,
 * symlink, readlink, directory listing, unlink, rmdir, dup, O_APPEND, O_EXCL, getcwd/chdir, errors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir) {
  DIR *d = opendir(dir);
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 64) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  printf("%s:", dir);
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");
}

int main(void) {
  umask(022);
  int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0666);
  write(fd, "hello world\n", 12);
  close(fd);
  fd = open("a.txt", O_RDWR);
  char buf[64] = {0};
  read(fd, buf, 5);
  printf("read [%s]\n", buf);
  lseek(fd, 6, SEEK_SET);
  write(fd, "WORLD", 5);
  printf("lseek end %ld\n", (long)lseek(fd, 0, SEEK_END));
  lseek(fd, 0, SEEK_SET);
  memset(buf, 0, sizeof buf);
  read(fd, buf, sizeof buf - 1);
  printf("now [%s]", buf);
  struct stat st;
  fstat(fd, &st);
  printf("size %ld regular %d mode %o links %ld\n", (long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 0777, (long)st.st_nlink);
  close(fd);
  fd = open("a.txt", O_WRONLY | O_APPEND);
  write(fd, "tail\n", 5);
  close(fd);
  stat("a.txt", &st);
  printf("after append %ld\n", (long)st.st_size);
  errno = 0;
  printf("O_EXCL on existing %d EEXIST %d\n", open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0600), errno == EEXIST);
  errno = 0;
  printf("missing file %d ENOENT %d\n", open("nope", O_RDONLY), errno == ENOENT);
  mkdir("d", 0755);
  mkdir("d/e", 0700);
  stat("d/e", &st);
  printf("dir %d mode %o\n", S_ISDIR(st.st_mode), st.st_mode & 0777);
  rename("a.txt", "d/b.txt");
  link("d/b.txt", "d/c.txt");
  stat("d/c.txt", &st);
  printf("hard link count %ld\n", (long)st.st_nlink);
  symlink("b.txt", "d/s");
  char target[64] = {0};
  printf("readlink %zd [%s]\n", readlink("d/s", target, sizeof target - 1), target);
  lstat("d/s", &st);
  printf("lstat says link %d\n", S_ISLNK(st.st_mode));
  stat("d/s", &st);
  printf("stat follows %d size %ld\n", S_ISREG(st.st_mode), (long)st.st_size);
  list(".");
  list("d");
  errno = 0;
  printf("rmdir non-empty %d ENOTEMPTY %d\n", rmdir("d"), errno == ENOTEMPTY);
  chdir("d");
  char cwd[256];
  getcwd(cwd, sizeof cwd);
  printf("cwd ends with /d %d\n", strlen(cwd) >= 2 && strcmp(cwd + strlen(cwd) - 2, "/d") == 0);
  fd = open("c.txt", O_RDONLY);
  int fd2 = dup(fd);
  memset(buf, 0, sizeof buf);
  read(fd2, buf, 6);
  printf("dup shares the offset: [%s] then at %ld\n", buf, (long)lseek(fd, 0, SEEK_CUR));
  close(fd);
  close(fd2);
  FILE *f = fopen("c.txt", "r");
  char line[64];
  while (fgets(line, sizeof line, f)) printf("line: %s", line);
  fclose(f);
  unlink("b.txt");
  unlink("c.txt");
  unlink("s");
  rmdir("e");
  chdir("..");
  printf("rmdir now %d\n", rmdir("d"));
  list(".");
  errno = 0;
  printf("unlink a directory %d\n", unlink(".") == -1 && (errno == EISDIR || errno == EPERM));
  /* access, chmod, poll, select and sendfile. */
  int pf = open("perm", O_CREAT | O_WRONLY, 0644);
  write(pf, "0123456789", 10);
  close(pf);
  printf("access R %d X %d\n", access("perm", R_OK), access("perm", X_OK) == 0);
  chmod("perm", 0755);
  struct stat ps;
  stat("perm", &ps);
  printf("after chmod %o, X %d\n", ps.st_mode & 0777, access("perm", X_OK));
  int pp[2];
  pipe(pp);
  struct pollfd pfd[2] = {{.fd = pp[0], .events = POLLIN}, {.fd = pp[1], .events = POLLOUT}};
  printf("poll: %d ready, in %d out %d\n", poll(pfd, 2, 0), (pfd[0].revents & POLLIN) != 0, (pfd[1].revents & POLLOUT) != 0);
  int src = open("perm", O_RDONLY);
  off_t off = 3;
  printf("sendfile %zd, offset now %ld\n", sendfile(pp[1], src, &off, 4), (long)off);
  pfd[0].revents = 0;
  printf("poll after: %d, in %d\n", poll(pfd, 1, 0), (pfd[0].revents & POLLIN) != 0);
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(pp[0], &rs);
  struct timeval tv = {0, 0};
  printf("select %d isset %d\n", select(pp[0] + 1, &rs, NULL, NULL, &tv), FD_ISSET(pp[0], &rs) != 0);
  char got[8] = {0};
  read(pp[0], got, sizeof got - 1);
  printf("through the pipe [%s]\n", got);
  close(src);
  close(pp[0]);
  close(pp[1]);
  unlink("perm");
  int devnull = open("/dev/null", O_WRONLY);
  printf("write to /dev/null %zd\n", write(devnull, "abc", 3));
  int zero = open("/dev/zero", O_RDONLY);
  memset(buf, 1, 8);
  read(zero, buf, 8);
  printf("/dev/zero gives zero %d\n", buf[0] == 0 && buf[7] == 0);
  return 0;
}
