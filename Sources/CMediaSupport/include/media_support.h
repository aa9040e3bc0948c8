#ifndef MEDIA_SUPPORT_H
#define MEDIA_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Thin, crash-free wrappers around the system zlib and libjpeg-turbo for MediaIO.
 * Every function reports failure through its return value and a message buffer, never by
 * exiting or by reading or writing outside the buffers it is given. */

/* CRC-32 (the PNG / zlib polynomial) of `size` bytes, continuing from `crc` (0 to start). */
uint32_t ms_crc32(uint32_t crc, const uint8_t *data, size_t size);

/* Upper bound on the zlib stream size for `size` input bytes. */
size_t ms_deflate_bound(size_t size);

/* Compresses `size` bytes into a zlib stream (level 0-9) in `out` of `*out_size` bytes;
 * on success stores the stream length in `*out_size` and returns 0. */
int ms_deflate(const uint8_t *data, size_t size, int level, uint8_t *out, size_t *out_size);

/* Inflates a zlib stream into exactly `expected` bytes at `out` (the Adler-32 checksum is
 * verified). Returns 0 on success; 1 if the stream is damaged or its checksum is wrong;
 * 2 if it ends before `expected` bytes; 3 if it holds more than `expected` bytes.
 * `message` (of `message_size` bytes) receives zlib's reason. */
int ms_inflate_exact(const uint8_t *data, size_t size, uint8_t *out, size_t expected,
                     char *message, size_t message_size);

/* The same for one gzip member (RFC 1952): zlib checks its header, CRC-32 and length. */
int ms_gunzip_exact(const uint8_t *data, size_t size, uint8_t *out, size_t expected,
                    char *message, size_t message_size);

/* Decodes a JPEG held in memory. On success returns 0 and stores a malloc'ed buffer of
 * height * width * channels bytes (channels 1 or 3, rows top to bottom, interleaved) in
 * `*pixels`, which the caller frees with ms_free. On failure returns nonzero, stores
 * nothing and writes libjpeg's reason into `message`. Corrupt-data warnings (a cut-short
 * file, a damaged entropy segment) count as failures so no partly grey image comes back.
 * Images above `max_pixels` pixels are refused before any pixel memory is taken. */
int ms_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                   uint8_t **pixels, int *width, int *height, int *channels,
                   char *message, size_t message_size);

/* Frees a buffer returned by ms_jpeg_decode. */
void ms_free(void *pointer);

#endif
