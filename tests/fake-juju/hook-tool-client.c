/*
 * A hook tool of the fake Juju, like Juju's own jujuc: one small binary, symlinked under every
 * tool name, that forwards its name, arguments, environment and (for `--file -`) standard input
 * to the unit agent over a unix socket ($FAKE_JUJU_AGENT), then prints the agent's stdout and
 * stderr and exits with its code. Native so that a hook's tool calls cost what real ones do.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;
static int agent;

static void put(const void *data, uint32_t size) {
  const char *at = data;
  while (size > 0) {
    ssize_t written = write(agent, at, size);
    if (written <= 0) exit(97);
    at += written;
    size -= (uint32_t)written;
  }
}

static void put_string(const char *text, uint32_t size) {
  put(&size, 4);
  put(text, size);
}

static void get(void *data, uint32_t size) {
  char *at = data;
  while (size > 0) {
    ssize_t got = read(agent, at, size);
    if (got <= 0) exit(98);
    at += got;
    size -= (uint32_t)got;
  }
}

int main(int argc, char **argv) {
  const char *path = getenv("FAKE_JUJU_AGENT");
  if (path == NULL) {
    fputs("ERROR FAKE_JUJU_AGENT is not set\n", stderr);
    return 1;
  }
  agent = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  strncpy(address.sun_path, path, sizeof address.sun_path - 1);
  if (connect(agent, (struct sockaddr *)&address, sizeof address) != 0) {
    fputs("ERROR cannot reach the fake Juju agent\n", stderr);
    return 1;
  }
  const char *name = strrchr(argv[0], '/');
  name = name ? name + 1 : argv[0];
  uint32_t count = (uint32_t)argc;
  put(&count, 4);
  put_string(name, (uint32_t)strlen(name));
  for (int i = 1; i < argc; i++) put_string(argv[i], (uint32_t)strlen(argv[i]));
  uint32_t variables = 0;
  for (char **entry = environ; *entry; entry++) variables++;
  put(&variables, 4);
  for (char **entry = environ; *entry; entry++) put_string(*entry, (uint32_t)strlen(*entry));

  int wants_stdin = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0 && strcmp(argv[i - 1], "--file") == 0) wants_stdin = 1;
  }
  size_t length = 0, capacity = 65536;
  char *input = malloc(capacity);
  if (wants_stdin) {
    ssize_t got;
    while ((got = read(0, input + length, capacity - length)) > 0) {
      length += (size_t)got;
      if (length == capacity) input = realloc(input, capacity *= 2);
    }
  }
  put_string(input, (uint32_t)length);
  shutdown(agent, SHUT_WR);

  int32_t code;
  uint32_t out_size, err_size;
  get(&code, 4);
  get(&out_size, 4);
  char *out = malloc(out_size + 1);
  get(out, out_size);
  get(&err_size, 4);
  char *err = malloc(err_size + 1);
  get(err, err_size);
  fwrite(out, 1, out_size, stdout);
  fwrite(err, 1, err_size, stderr);
  return code;
}
