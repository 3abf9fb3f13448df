// latent/io/safetensors.hpp: tensors to and from safetensors files, the format of
// Hugging Face's `safetensors` library (https://github.com/huggingface/safetensors).
//
// The format:
//   8 bytes   N: the header's length, an unsigned 64-bit little-endian integer
//   N bytes   the header: UTF-8 JSON, an object that begins with '{' and may be padded at
//             the end with spaces. It maps each tensor's name to
//               {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
//             and the optional key "__metadata__" to an object of string -> string.
//   the rest  the byte buffer: each tensor's elements, row-major, little-endian, in bytes
//             [begin, end) counted from the buffer's first byte.
//
// What the reader enforces, every check before any tensor data is read, each failure an
// io_error that names the file and, where there is one, the tensor:
//   - the file holds at least the 8 length bytes; N <= 100,000,000 (the reference
//     implementation's limit) and N <= file size - 8;
//   - the header is valid UTF-8, begins with '{', parses as one JSON object (no comments,
//     nothing after it but whitespace), contains no duplicate key at any level and nests no
//     deeper than the format needs;
//   - "__metadata__", if present, is an object whose values are all strings;
//   - every other key is a tensor whose value has exactly the fields dtype (a known dtype
//     name), shape (an array of at most 64 integers in [0, 2^63): a cap of ours, the
//     specification sets no rank limit) and data_offsets (two unsigned
//     integers, begin <= end <= buffer size); the product of its extents times the dtype's
//     size, computed without overflow, equals end - begin;
//   - the byte ranges, ordered by offset, tile the whole buffer: the first begins at 0, each
//     begins where the previous ended, the last ends at the end of the file. No holes, no
//     overlaps, no trailing bytes (the specification's rule against polyglot files).
// Empty tensors (an extent of 0, begin == end) and rank-0 scalars (shape []) are valid.
// Sub-byte dtypes (F4, F6_*) are refused as unsupported.
//
// What the writer produces, deterministically (same tensors and metadata, same bytes):
//   - tensors ordered by element size, largest first, then by name (bytewise); with the
//     header padded to a multiple of 8 this puts every tensor at an offset that is a
//     multiple of its element size, so a reader may map the data in place;
//   - compact JSON (no spaces): "__metadata__" first, its keys sorted, left out when the
//     metadata is empty; then the tensors in the order above, each as
//     {"dtype":..,"shape":[..],"data_offsets":[..]};
//   - the header padded with spaces (0x20) to a multiple of 8 bytes;
//   - written atomically (io/atomic_file.hpp): a failure leaves any old file intact.
// tests/reference/safetensors_fixture.py writes the same bytes from the specification alone.
#pragma once

#include "latent/io/safetensors/format.hpp"
#include "latent/io/safetensors/read.hpp"
#include "latent/io/safetensors/write.hpp"
