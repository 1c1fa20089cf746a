/* diagjson.c - the diagnostics of a compilation on stderr, as text or as
 * JSON Lines (--diagnostics-format json): one object a line for each error
 * or warning, its notes inside it, so that a tool reads each line on its
 * own as it comes:
 *   {"file": "p.policy", "line": 3, "column": 9, "severity": "error",
 *    "message": "...", "notes": [{"file": ..., "line": ..., "column": ...,
 *    "message": ...}], "fixit": {"line": 3, "column": 9, "length": 7,
 *    "replacement": "newfstatat"}}
 * "file" is null (line and column 0) for a diagnostic without a place;
 * "fixit" is there only when the compiler knows the correction. */
#include <json-c/json.h>
#include <stdio.h>

#include "cli/options.h"

static const char *severity_name(sysfence_severity s) {
  return s == SYSFENCE_ERROR ? "error" : s == SYSFENCE_WARNING ? "warning" : "note";
}

/* The place and message of D into OBJ. */
static void add_place(json_object *obj, const sysfence_diag *d) {
  json_object_object_add(obj, "file", d->file ? json_object_new_string(d->file) : NULL);
  json_object_object_add(obj, "line", json_object_new_int(d->line));
  json_object_object_add(obj, "column", json_object_new_int(d->column));
}

static json_object *diag_object(const sysfence_diag *d) {
  json_object *obj = json_object_new_object();
  add_place(obj, d);
  json_object_object_add(obj, "severity", json_object_new_string(severity_name(d->severity)));
  json_object_object_add(obj, "message", json_object_new_string(d->message));
  json_object_object_add(obj, "notes", json_object_new_array());
  if (d->fixit) {
    json_object *fix = json_object_new_object();
    json_object_object_add(fix, "line", json_object_new_int(d->line));
    json_object_object_add(fix, "column", json_object_new_int(d->column));
    json_object_object_add(fix, "length", json_object_new_int(d->fixit_length));
    json_object_object_add(fix, "replacement", json_object_new_string(d->fixit));
    json_object_object_add(obj, "fixit", fix);
  }
  return obj;
}

static void emit(json_object *obj) {
  if (!obj) return;
  fprintf(stderr, "%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(obj);
}

static void print_json(const sysfence_ctx *ctx) {
  json_object *cur = NULL;
  size_t n = sysfence_diag_count(ctx);
  for (size_t i = 0; i < n; i++) {
    const sysfence_diag *d = sysfence_diag_get(ctx, i);
    if (d->severity == SYSFENCE_NOTE && cur) {
      json_object *note = json_object_new_object();
      add_place(note, d);
      json_object_object_add(note, "message", json_object_new_string(d->message));
      json_object_array_add(json_object_object_get(cur, "notes"), note);
      continue;
    }
    emit(cur);
    cur = diag_object(d); /* a note on its own stands as an object too */
  }
  emit(cur);
}

void sf_cli_print_diags(const sysfence_ctx *ctx, const sf_cli_opts *o) {
  if (o->diag_json) print_json(ctx);
  else fputs(sysfence_diag_text(ctx), stderr);
}
