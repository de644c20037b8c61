/* The name rules of the formats, in one place for every reader and every
 * tool that turns a name into part of a file name: a run id
 * (formats/run-header.md: 1..63 bytes of A-Z a-z 0-9 . _ + -, neither
 * "." nor ".."; the stream reader refuses any other) and a
 * tensor name used as a relative path (formats/traj-stream.md's name
 * rule, and no component that is empty, "." or ".."), so that nothing
 * read from a stream or an imported file can name a file outside the
 * directory the user gave. */
#ifndef TRAJ_FORMAT_NAMES_H
#define TRAJ_FORMAT_NAMES_H

/* Longest run id plus its NUL, as formats/run-header.md allows. */
#define STREAM_RUN_ID_MAX 64

/* 1 when `id` is a run id by formats/run-header.md, else 0. */
int stream_run_id_valid(const char *id);

/* 1 when `name` is a tensor name (tensor_name_valid) that stays below
 * the directory it is joined to: no leading '/', and no component
 * between slashes that is empty, "." or "..". */
int stream_name_path_valid(const char *name);

#endif
