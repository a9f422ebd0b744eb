/* outreach.h from C (C99, -pedantic): the header compiles as C, and a C program links
 * liboutreach.so and goes through open, status, a refused call and close, freeing what it gets.
 * Usage: outreach_c_test <folder for the store>. Exit 0 when every check holds. */
#include <stdio.h>
#include <string.h>

#include "client-sdk/c_api/outreach.h"

#define CHECK(condition)                                                                      \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      fprintf(stderr, "%s:%d: failed: %s (last error: %s)\n", __FILE__, __LINE__, #condition, \
              outreach_last_error());                                                         \
      return 1;                                                                               \
    }                                                                                         \
  } while (0)

int main(int argc, char** argv) {
  outreach_client* client = NULL;
  char* status = NULL;
  char* id = NULL;
  CHECK(argc == 2);
  CHECK(outreach_client_open(argv[1], "a passcode", &client) == OUTREACH_OK);
  CHECK(client != NULL);
  CHECK(outreach_client_status(client, &status) == OUTREACH_OK);
  CHECK(strstr(status, "\"enrolled\":false") != NULL);
  outreach_free_string(status);
  CHECK(outreach_record_create(client, "contact", "{}", &id) == OUTREACH_FAILED_PRECONDITION);
  CHECK(id == NULL);
  CHECK(strcmp(outreach_status_name(OUTREACH_FAILED_PRECONDITION), "failed_precondition") == 0);
  outreach_client_close(&client);
  CHECK(client == NULL);
  CHECK(outreach_store_wipe(argv[1]) == OUTREACH_OK);
  return 0;
}
