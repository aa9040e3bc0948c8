#include "media_support.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <zlib.h>

uint32_t ms_crc32(uint32_t crc, const uint8_t *data, size_t size) {
    uLong value = crc;
    while (size > 0) {
        /* zlib takes uInt lengths; feed large buffers in pieces. */
        uInt piece = size > 0x40000000u ? 0x40000000u : (uInt)size;
        value = crc32(value, data, piece);
        data += piece;
        size -= piece;
    }
    return (uint32_t)value;
}

size_t ms_deflate_bound(size_t size) { return (size_t)compressBound((uLong)size); }

int ms_deflate(const uint8_t *data, size_t size, int level, uint8_t *out, size_t *out_size) {
    uLongf length = (uLongf)*out_size;
    int status = compress2(out, &length, data, (uLong)size, level);
    if (status != Z_OK) return status;
    *out_size = (size_t)length;
    return 0;
}

static void copy_message(char *message, size_t message_size, const char *text) {
    if (message == NULL || message_size == 0) return;
    snprintf(message, message_size, "%s", text ? text : "unknown error");
}

/* window_bits: MAX_WBITS reads a zlib stream, 16 + MAX_WBITS a gzip member (zlib then checks
 * the gzip header, CRC-32 and length itself). */
static int inflate_exact(const uint8_t *data, size_t size, uint8_t *out, size_t expected,
                         char *message, size_t message_size, int window_bits) {
    /* Callers keep both sizes below 2^31 (MediaIO's image size limit), so one zlib call
     * sees all of the input and all of the output. */
    if (size > 0x7fffffffu || expected > 0x7fffffffu) {
        copy_message(message, message_size, "buffer too large for one zlib call");
        return 1;
    }
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit2(&stream, window_bits) != Z_OK) {
        copy_message(message, message_size, "zlib could not start");
        return 1;
    }
    stream.next_in = (Bytef *)data;
    stream.avail_in = (uInt)size;
    stream.next_out = out;
    stream.avail_out = (uInt)expected;
    int status = inflate(&stream, Z_FINISH);
    uint8_t spare;
    if (status != Z_STREAM_END && status != Z_DATA_ERROR && stream.avail_out == 0) {
        /* All expected bytes are out but the stream goes on: one spare byte tells whether
         * it only lacked its end (checksum) or holds more data than the image needs. */
        stream.next_out = &spare;
        stream.avail_out = 1;
        status = inflate(&stream, Z_FINISH);
    }
    int result;
    if (stream.total_out > expected) {
        copy_message(message, message_size, "the stream holds more data than the image needs");
        result = 3;
    } else if (status == Z_STREAM_END) {
        if (stream.total_out == expected) {
            result = 0;
        } else {
            copy_message(message, message_size, "the stream ends before the image is complete");
            result = 2;
        }
    } else if (status == Z_BUF_ERROR || status == Z_OK) {
        copy_message(message, message_size, "the stream is cut short");
        result = 2;
    } else {
        copy_message(message, message_size, stream.msg ? stream.msg : "damaged stream");
        result = 1;
    }
    inflateEnd(&stream);
    return result;
}

int ms_inflate_exact(const uint8_t *data, size_t size, uint8_t *out, size_t expected,
                     char *message, size_t message_size) {
    return inflate_exact(data, size, out, expected, message, message_size, MAX_WBITS);
}

int ms_gunzip_exact(const uint8_t *data, size_t size, uint8_t *out, size_t expected,
                    char *message, size_t message_size) {
    return inflate_exact(data, size, out, expected, message, message_size, 16 + MAX_WBITS);
}

/* libjpeg's error manager, extended with a jump target so errors return instead of exit(). */
struct ms_jpeg_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int warned;
};

static void ms_jpeg_error_exit(j_common_ptr info) {
    struct ms_jpeg_error *error = (struct ms_jpeg_error *)info->err;
    (*info->err->format_message)(info, error->message);
    longjmp(error->jump, 1);
}

static void ms_jpeg_emit_message(j_common_ptr info, int level) {
    /* Level -1 is a corrupt-data warning; keep the first one as the failure reason. */
    struct ms_jpeg_error *error = (struct ms_jpeg_error *)info->err;
    if (level < 0 && !error->warned) {
        (*info->err->format_message)(info, error->message);
        error->warned = 1;
    }
}

static void ms_jpeg_output_message(j_common_ptr info) { (void)info; }

int ms_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                   uint8_t **pixels, int *width, int *height, int *channels,
                   char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct ms_jpeg_error error;
    /* volatile: these change between setjmp and a possible longjmp. */
    uint8_t *volatile buffer = NULL;
    memset(&error, 0, sizeof error);
    info.err = jpeg_std_error(&error.base);
    error.base.error_exit = ms_jpeg_error_exit;
    error.base.emit_message = ms_jpeg_emit_message;
    error.base.output_message = ms_jpeg_output_message;
    *pixels = NULL;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free(buffer);
        copy_message(message, message_size, error.message);
        return 1;
    }
    jpeg_create_decompress(&info);
    if (size == 0) {
        copy_message(message, message_size, "the data is empty");
        jpeg_destroy_decompress(&info);
        return 1;
    }
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    if (info.jpeg_color_space == JCS_GRAYSCALE) {
        info.out_color_space = JCS_GRAYSCALE;
    } else {
        info.out_color_space = JCS_RGB;
    }
    if ((uint64_t)info.image_width * (uint64_t)info.image_height > max_pixels) {
        snprintf(message, message_size, "the image is %ux%u, above the %llu-pixel limit",
                 info.image_width, info.image_height, (unsigned long long)max_pixels);
        jpeg_destroy_decompress(&info);
        return 2;
    }
    jpeg_start_decompress(&info);
    size_t row_bytes = (size_t)info.output_width * (size_t)info.output_components;
    buffer = malloc(row_bytes * info.output_height);
    if (buffer == NULL) {
        copy_message(message, message_size, "out of memory");
        jpeg_destroy_decompress(&info);
        return 3;
    }
    while (info.output_scanline < info.output_height && !error.warned) {
        JSAMPROW row = buffer + row_bytes * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    if (!error.warned) jpeg_finish_decompress(&info);
    if (error.warned) {
        copy_message(message, message_size, error.message);
        jpeg_destroy_decompress(&info);
        free(buffer);
        return 4;
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    *channels = info.output_components;
    jpeg_destroy_decompress(&info);
    *pixels = buffer;
    return 0;
}

void ms_free(void *pointer) { free(pointer); }
