/*
 * getPeerCred(fd) -> { pid, uid, gid }: the credentials the kernel recorded for the peer of a connected Unix
 * domain socket when it called connect(2) (SO_PEERCRED, Linux). The caller cannot forge them, unlike anything
 * it sends over the connection, which is why certd authorizes by them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, int err) {
  char message[128];
  snprintf(message, sizeof message, "getsockopt(SO_PEERCRED) failed: %s", strerror(err));
  napi_value code, text, error;
  napi_create_string_utf8(env, "ERR_PEERCRED", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_throw(env, error);
  return NULL;
}

static napi_value set_uint(napi_env env, napi_value object, const char *name, uint32_t value) {
  napi_value number;
  napi_create_uint32(env, value, &number);
  napi_set_named_property(env, object, name, number);
  return object;
}

static napi_value get_peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "getPeerCred(fd): fd must be a non-negative integer");
    return NULL;
  }
  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return throw_errno(env, errno);
  napi_value result;
  napi_create_object(env, &result);
  set_uint(env, result, "pid", (uint32_t)cred.pid);
  set_uint(env, result, "uid", cred.uid);
  set_uint(env, result, "gid", cred.gid);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "getPeerCred", NAPI_AUTO_LENGTH, get_peer_cred, NULL, &fn);
  napi_set_named_property(env, exports, "getPeerCred", fn);
  return exports;
}
