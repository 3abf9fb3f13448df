// latent/autograd/ops/conv.hpp: 2-D convolution and its adjoint, the transposed convolution.
//
// Both ops lower to GEMM. im2col lays the input patch under every kernel
// position out as one column of a matrix [C·kh·kw, positions]; col2im is its
// adjoint and adds such columns back onto an image. conv2d is im2col then
// GEMM; conv_transpose2d is GEMM then col2im; so each op's backward is the
// other's forward and two kernels serve all four passes. col2im gathers: a work
// item owns one image plane and adds up everything the columns hold for it, so
// it needs no atomics and runs unchanged as a CUDA kernel.
//
// Batching: images are processed in chunks whose column matrix fits in
// conv_scratch_bytes; a chunk of m images is one GEMM over m·positions
// columns. Between the two extremes, image by image (many thin GEMMs) and the
// whole batch at once (one GEMM streaming a column matrix far larger than the
// cache), chunks of about a core's L2 cache won: on the conv VAE's four layers
// (28×28, batch 128, k4 s2 p1, float, one thread) forward + backward took
// 51 ms with 1 MiB chunks, 55 ms image by image and 62 ms as one batch. The
// price of chunks is a transposition between the batch layout [m, C, L] and
// the GEMM layout [C, m·L], cheap next to the GEMMs; a chunk of one image
// needs none.
#pragma once

#include <cstddef>
#include <cstdint>

#include "latent/autograd/tape.hpp"

namespace latent {

/// Options of conv2d, as PyTorch's Conv2d (same for both axes): `conv2d(x, w, b, {.stride = 2, .padding = 1})`.
struct conv2d_options {
    int stride = 1;   ///< step between kernel positions, ≥ 1
    int padding = 0;  ///< zeros added on every side of the input, ≥ 0
};

/// Options of conv_transpose2d, as PyTorch's ConvTranspose2d (same for both axes).
struct conv_transpose2d_options {
    int stride = 1;          ///< ≥ 1
    int padding = 0;         ///< rows and columns removed from every side of the full output, ≥ 0
    int output_padding = 0;  ///< rows and columns added at the bottom and right, in [0, stride): picks one of the
                             ///< output sizes that a strided conv2d maps to the same input size
};

/// Bytes of column matrix a convolution works on at once (the batch is processed in chunks of images that
/// fit; at least one image, whatever its size). The default, 1 MiB, is about one core's L2 cache, the fastest
/// setting measured (see above). Read at each call: set it before training, not while another thread convolves.
inline std::size_t conv_scratch_bytes = std::size_t{1} << 20;

namespace detail {

/// An image [channels, height, width] and the grid out_h × out_w of kernel positions over it: the shared
/// geometry of im2col and col2im. Position (oy, ox) with kernel offset (ki, kj) reads pixel
/// (oy·stride − padding + ki, ox·stride − padding + kj), zero outside the image.
struct conv_geometry {
    std::int64_t channels, height, width;
    std::int64_t out_h, out_w;
    std::int64_t kh, kw, stride, padding;

    /// Rows of the column matrix: one per (channel, ki, kj).
    LATENT_HD std::int64_t patch() const { return channels * kh * kw; }
    /// Kernel positions per image.
    LATENT_HD std::int64_t positions() const { return out_h * out_w; }
    /// Pixels per image.
    LATENT_HD std::int64_t pixels() const { return channels * height * width; }
};

/// The kernel positions [lo, hi) along one axis, among [0, out), for which o·stride − padding + k lies in [0, extent).
LATENT_HD inline void inside_range(std::int64_t extent, std::int64_t out, std::int64_t stride, std::int64_t padding,
                                   std::int64_t k, std::int64_t& lo, std::int64_t& hi) {
    const std::int64_t first = padding - k;             // o·stride ≥ first
    const std::int64_t last = extent - 1 + padding - k;  // o·stride ≤ last
    lo = first > 0 ? (first + stride - 1) / stride : 0;
    hi = last < 0 ? 0 : last / stride + 1;
    if (hi > out) hi = out;
    if (lo > hi) lo = hi;
}

}  // namespace detail

namespace kernels {

/// cols[r, n·L + oy·out_w + ox] = image[n, c, oy·s − p + ki, ox·s − p + kj] (0 outside the image), where
/// r = (c·kh + ki)·kw + kj and L = out_h·out_w. One work item per (n, r): a run of L columns. The inner loops
/// are branch-free (the positions that fall inside the image are worked out first) so that they vectorise;
/// items are that coarse because integer division per element would cost more than the copy.
template <class T>
struct im2col {
    const T* image;  // [images, channels, height, width]
    T* cols;         // [patch, images·L]
    detail::conv_geometry g;
    std::int64_t images;

    LATENT_HD void operator()(std::size_t item) const {
        // image-major order: neighbouring items read the same image, which then stays in cache
        const auto i = static_cast<std::int64_t>(item);
        const std::int64_t r = i % g.patch(), n = i / g.patch();
        const std::int64_t kj = r % g.kw, ki = (r / g.kw) % g.kh, c = r / (g.kw * g.kh);
        const std::int64_t s = g.stride;
        T* out = cols + (r * images + n) * g.positions();
        std::int64_t ylo, yhi, xlo, xhi;
        detail::inside_range(g.height, g.out_h, s, g.padding, ki, ylo, yhi);
        detail::inside_range(g.width, g.out_w, s, g.padding, kj, xlo, xhi);
        const T* plane = image + (n * g.channels + c) * g.height * g.width;
        for (std::int64_t oy = 0; oy < g.out_h; ++oy, out += g.out_w) {
            if (oy < ylo || oy >= yhi) {
                for (std::int64_t ox = 0; ox < g.out_w; ++ox) out[ox] = T(0);
                continue;
            }
            // the pixel under position ox is plane[at + ox·stride]
            const std::int64_t at = (oy * s - g.padding + ki) * g.width - g.padding + kj;
            for (std::int64_t ox = 0; ox < xlo; ++ox) out[ox] = T(0);
            // strides 1 and 2 (nearly every network) as constants, so that the compiler vectorises them
            if (s == 1) {
                for (std::int64_t ox = xlo; ox < xhi; ++ox) out[ox] = plane[at + ox];
            } else if (s == 2) {
                for (std::int64_t ox = xlo; ox < xhi; ++ox) out[ox] = plane[at + 2 * ox];
            } else {
                for (std::int64_t ox = xlo; ox < xhi; ++ox) out[ox] = plane[at + ox * s];
            }
            for (std::int64_t ox = xhi; ox < g.out_w; ++ox) out[ox] = T(0);
        }
    }
};

/// The adjoint of im2col: image[n, c, y, x] = Σ of cols[r, n·L + oy·out_w + ox] over every (ki, kj, oy, ox)
/// with oy·s − p + ki = y and ox·s − p + kj = x. Overwrites the image. One work item per image plane (n, c): it
/// gathers from the columns into the plane it owns, so no two items write the same memory and no atomics are
/// needed, on a GPU either.
template <class T>
struct col2im {
    const T* cols;  // [patch, images·L]
    T* image;       // [images, channels, height, width]
    detail::conv_geometry g;
    std::int64_t images;

    LATENT_HD void operator()(std::size_t item) const {
        const auto i = static_cast<std::int64_t>(item);
        const std::int64_t n = i / g.channels, c = i % g.channels;
        const std::int64_t L = g.positions(), s = g.stride;
        T* plane = image + i * g.height * g.width;
        for (std::int64_t px = 0; px < g.height * g.width; ++px) plane[px] = T(0);
        for (std::int64_t ki = 0; ki < g.kh; ++ki) {
            std::int64_t ylo, yhi;
            detail::inside_range(g.height, g.out_h, s, g.padding, ki, ylo, yhi);
            for (std::int64_t kj = 0; kj < g.kw; ++kj) {
                std::int64_t xlo, xhi;
                detail::inside_range(g.width, g.out_w, s, g.padding, kj, xlo, xhi);
                const T* src = cols + (((c * g.kh + ki) * g.kw + kj) * images + n) * L;
                for (std::int64_t oy = ylo; oy < yhi; ++oy) {
                    const T* row = src + oy * g.out_w;
                    // position ox lands on plane[at + ox·stride]
                    const std::int64_t at = (oy * s - g.padding + ki) * g.width - g.padding + kj;
                    if (s == 1) {
                        for (std::int64_t ox = xlo; ox < xhi; ++ox) plane[at + ox] += row[ox];
                    } else if (s == 2) {
                        for (std::int64_t ox = xlo; ox < xhi; ++ox) plane[at + 2 * ox] += row[ox];
                    } else {
                        for (std::int64_t ox = xlo; ox < xhi; ++ox) plane[at + ox * s] += row[ox];
                    }
                }
            }
        }
    }
};

/// dst[c, n·L + l] = src[n, c, l]: a batch [images, channels, L] as one matrix [channels, images·L].
/// One work item per (c, n), a run of L.
template <class T>
struct batch_to_matrix {
    const T* src;
    T* dst;
    std::int64_t channels, images, L;
    LATENT_HD void operator()(std::size_t item) const {
        const auto i = static_cast<std::int64_t>(item);
        const std::int64_t c = i / images, n = i % images;
        const T* s = src + (n * channels + c) * L;
        T* d = dst + i * L;
        for (std::int64_t l = 0; l < L; ++l) d[l] = s[l];
    }
};

/// dst[n, c, l] = src[c, n·L + l] + bias[c] (no bias when null): batch_to_matrix undone.
/// One work item per (n, c), a run of L.
template <class T>
struct matrix_to_batch {
    const T* src;
    T* dst;
    const T* bias;
    std::int64_t channels, images, L;
    LATENT_HD void operator()(std::size_t item) const {
        const auto i = static_cast<std::int64_t>(item);
        const std::int64_t n = i / channels, c = i % channels;
        const T* s = src + (c * images + n) * L;
        T* d = dst + i * L;
        const T b = bias ? bias[c] : T(0);
        for (std::int64_t l = 0; l < L; ++l) d[l] = s[l] + b;
    }
};

/// y[n, c, l] += bias[c]; one work item per (n, c), a run of L.
template <class T>
struct add_channel_bias {
    T* y;
    const T* bias;
    std::int64_t channels, L;
    LATENT_HD void operator()(std::size_t item) const {
        const auto i = static_cast<std::int64_t>(item);
        const T b = bias[i % channels];
        T* d = y + i * L;
        for (std::int64_t l = 0; l < L; ++l) d[l] += b;
    }
};

}  // namespace kernels

namespace detail {

inline std::size_t to_size(std::int64_t v) { return static_cast<std::size_t>(v); }

/// Images per chunk: as many as keep `rows` × (images·L) scratch elements of `element` bytes within
/// conv_scratch_bytes, at least one, at most `images`.
inline std::int64_t conv_chunk(std::int64_t images, std::int64_t rows, std::int64_t L, std::size_t element) {
    const std::size_t per_image = to_size(rows * L) * element;
    const std::int64_t fit = per_image == 0 ? images : static_cast<std::int64_t>(conv_scratch_bytes / per_image);
    return fit < 1 ? 1 : (fit > images ? images : fit);
}

/// cols [patch, m·L] = im2col of m images starting at `image`.
template <class T, class B>
void run_im2col(const T* image, T* cols, const conv_geometry& g, std::int64_t m) {
    launch_coarse(B{}, to_size(g.patch() * m), kernels::im2col<T>{image, cols, g, m});
}

/// m images starting at `image` = col2im of cols [patch, m·L].
template <class T, class B>
void run_col2im(const T* cols, T* image, const conv_geometry& g, std::int64_t m) {
    launch_coarse(B{}, to_size(m * g.channels), kernels::col2im<T>{cols, image, g, m});
}

/// The [channels, m·L] matrix of m images [channels, L] starting at `src`: `src` itself for one image,
/// else a transposed copy in `scratch`.
template <class T, class B>
const T* as_matrix(const T* src, T* scratch, std::int64_t channels, std::int64_t m, std::int64_t L) {
    if (m == 1) return src;
    launch_coarse(B{}, to_size(channels * m), kernels::batch_to_matrix<T>{src, scratch, channels, m, L});
    return scratch;
}

/// db[c] = Σ over n and l of g[n, c, l].
template <class T, class B>
tensor<T, B> channel_sums(const tensor<T, B>& g, std::int64_t channels) {
    const std::int64_t N = g.dim(0), L = g.numel() / (N * channels > 0 ? N * channels : 1);
    tensor<T, B> per_image(shape{N, channels}), db(shape{channels});
    row_sums(B{}, g.data(), to_size(N * channels), to_size(L), per_image.data());
    column_sums(B{}, per_image.data(), to_size(N), to_size(channels), db.data());
    return db;
}

/// Checks what both ops share: ranks, a bias of `bias_len` values, a positive stride and non-negative padding.
template <class T, class B>
void check_conv_common(const char* op, const var<T, B>& x, const var<T, B>& w, const var<T, B>& b,
                       std::int64_t bias_len, int stride, int padding) {
    LATENT_CHECK(x.shape().rank() == 4, shape_error, op, ": input must be [N, C, H, W], got ", x.shape());
    LATENT_CHECK(w.shape().rank() == 4, shape_error, op, ": weight must have rank 4, got ", w.shape());
    LATENT_CHECK(w.numel() > 0, shape_error, op, ": empty weight ", w.shape());
    LATENT_CHECK(!b.value().defined() || b.shape() == shape{bias_len}, shape_error, op, ": bias ", b.shape(),
                 " for weight ", w.shape(), " (expected [", bias_len, "])");
    LATENT_CHECK(stride >= 1, config_error, op, ": stride must be at least 1, got ", stride);
    LATENT_CHECK(padding >= 0, config_error, op, ": padding must not be negative, got ", padding);
}

}  // namespace detail

/// 2-D convolution (cross-correlation, as PyTorch's conv2d):
///   y[n, o, i, j] = b[o] + Σ_{c, ki, kj} w[o, c, ki, kj] · x[n, c, i·s − p + ki, j·s − p + kj]   (0 outside x).
/// requires: x [N, C, H, W]; w [O, C, kh, kw]; b [O] or an undefined var (no bias); stride ≥ 1, padding ≥ 0;
///           kh ≤ H + 2p and kw ≤ W + 2p. Throws shape_error / config_error naming the op and shapes otherwise.
/// ensures:  y [N, O, Ho, Wo], Ho = (H + 2p − kh) / s + 1 (floor), Wo likewise; gradients for x, w and b.
template <scalar T, backend B>
var<T, B> conv2d(const var<T, B>& x, const var<T, B>& w, const var<T, B>& b, conv2d_options opt = {}) {
    detail::check_conv_common("conv2d", x, w, b, w.shape().rank() == 4 ? w.dim(0) : 0, opt.stride, opt.padding);
    LATENT_CHECK(x.dim(1) == w.dim(1), shape_error, "conv2d: input ", x.shape(), " has ", x.dim(1),
                 " channels, weight ", w.shape(), " expects ", w.dim(1));
    const std::int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const std::int64_t O = w.dim(0), kh = w.dim(2), kw = w.dim(3), s = opt.stride, p = opt.padding;
    LATENT_CHECK(kh <= H + 2 * p && kw <= W + 2 * p, shape_error, "conv2d: kernel ", kh, "x", kw,
                 " larger than the padded input (input ", x.shape(), ", weight ", w.shape(), ", padding ", p, ")");
    const detail::conv_geometry g{C, H, W, (H + 2 * p - kh) / s + 1, (W + 2 * p - kw) / s + 1, kh, kw, s, p};
    const std::int64_t K = g.patch(), L = g.positions();
    const std::int64_t chunk = detail::conv_chunk(N, K, L, sizeof(T));
    using detail::to_size;

    tensor<T, B> y(shape{N, O, g.out_h, g.out_w});
    {
        tensor<T, B> cols(shape{K, chunk * L});
        tensor<T, B> out = chunk > 1 ? tensor<T, B>(shape{O, chunk * L}) : tensor<T, B>();
        const T* bias = b.value().defined() ? b.value().data() : nullptr;
        for (std::int64_t n0 = 0; n0 < N; n0 += chunk) {
            const std::int64_t m = N - n0 < chunk ? N - n0 : chunk;
            T* yc = y.data() + n0 * O * L;
            detail::run_im2col<T, B>(x.value().data() + n0 * g.pixels(), cols.data(), g, m);
            if (m == 1) {
                gemm(B{}, false, false, to_size(O), to_size(L), to_size(K), T(1), w.value().data(), to_size(K),
                     cols.data(), to_size(L), T(0), yc, to_size(L));
                if (bias) launch_coarse(B{}, to_size(O), kernels::add_channel_bias<T>{yc, bias, O, L});
            } else {
                gemm(B{}, false, false, to_size(O), to_size(m * L), to_size(K), T(1), w.value().data(), to_size(K),
                     cols.data(), to_size(m * L), T(0), out.data(), to_size(m * L));
                launch_coarse(B{}, to_size(m * O), kernels::matrix_to_batch<T>{out.data(), yc, bias, O, m, L});
            }
        }
    }
    // dW needs x, dx needs w: keep each only when the other input wants a gradient.
    return record("conv2d", y, {&x, &w, &b},
                  [x = w.requires_grad() ? x.value() : tensor<T, B>(),
                   w = x.requires_grad() ? w.value() : tensor<T, B>(), g, N, O, chunk](tensor<T, B>& grad,
                                                                                       auto& inputs) {
                      const std::int64_t K = g.patch(), L = g.positions();
                      const bool need_x = inputs.needs(0), need_w = inputs.needs(1);
                      tensor<T, B> dx = need_x ? tensor<T, B>(shape{N, g.channels, g.height, g.width}) : tensor<T, B>();
                      tensor<T, B> dw = need_w ? tensor<T, B>::zeros(shape{O, g.channels, g.kh, g.kw}) : tensor<T, B>();
                      if (need_x || need_w) {
                          tensor<T, B> cols(shape{K, chunk * L});
                          tensor<T, B> gm = chunk > 1 ? tensor<T, B>(shape{O, chunk * L}) : tensor<T, B>();
                          for (std::int64_t n0 = 0; n0 < N; n0 += chunk) {
                              const std::int64_t m = N - n0 < chunk ? N - n0 : chunk;
                              const T* gc = detail::as_matrix<T, B>(grad.data() + n0 * O * L, gm.data(), O, m, L);
                              if (need_w) {  // dW += G·colsᵀ
                                  detail::run_im2col<T, B>(x.data() + n0 * g.pixels(), cols.data(), g, m);
                                  gemm(B{}, false, true, to_size(O), to_size(K), to_size(m * L), T(1), gc,
                                       to_size(m * L), cols.data(), to_size(m * L), T(1), dw.data(), to_size(K));
                              }
                              if (need_x) {  // dcols = Wᵀ·G, then back onto the image
                                  gemm(B{}, true, false, to_size(K), to_size(m * L), to_size(O), T(1), w.data(),
                                       to_size(K), gc, to_size(m * L), T(0), cols.data(), to_size(m * L));
                                  detail::run_col2im<T, B>(cols.data(), dx.data() + n0 * g.pixels(), g, m);
                              }
                          }
                      }
                      if (need_x) inputs.add(0, std::move(dx));
                      if (need_w) inputs.add(1, std::move(dw));
                      if (inputs.needs(2)) inputs.add(2, detail::channel_sums(grad, O));
                  });
}

/// conv2d without bias.
template <scalar T, backend B>
var<T, B> conv2d(const var<T, B>& x, const var<T, B>& w, conv2d_options opt = {}) {
    return conv2d(x, w, var<T, B>(), opt);
}

/// 2-D transposed convolution (PyTorch's conv_transpose2d), the adjoint of conv2d in x: every input pixel
/// scatters w[c, :, :, :] times itself onto the output,
///   y[n, o, i·s − p + ki, j·s − p + kj] += x[n, c, i, j] · w[c, o, ki, kj],   then y[n, o] += b[o].
/// requires: x [N, C, H, W]; w [C, O, kh, kw] (PyTorch's ConvTranspose2d layout); b [O] or undefined;
///           stride ≥ 1, padding ≥ 0, 0 ≤ output_padding < stride; a positive output size.
/// ensures:  y [N, O, Ho, Wo], Ho = (H − 1)·s − 2p + kh + output_padding, Wo likewise; for the same w,
///           ⟨conv2d(u, w), x⟩ = ⟨u, conv_transpose2d(x, w)⟩; gradients for x, w and b.
template <scalar T, backend B>
var<T, B> conv_transpose2d(const var<T, B>& x, const var<T, B>& w, const var<T, B>& b,
                           conv_transpose2d_options opt = {}) {
    detail::check_conv_common("conv_transpose2d", x, w, b, w.shape().rank() == 4 ? w.dim(1) : 0, opt.stride,
                              opt.padding);
    LATENT_CHECK(opt.output_padding >= 0 && opt.output_padding < opt.stride, config_error,
                 "conv_transpose2d: output_padding must lie in [0, stride = ", opt.stride, "), got ",
                 opt.output_padding);
    LATENT_CHECK(x.dim(1) == w.dim(0), shape_error, "conv_transpose2d: input ", x.shape(), " has ", x.dim(1),
                 " channels, weight ", w.shape(), " expects ", w.dim(0));
    const std::int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const std::int64_t O = w.dim(1), kh = w.dim(2), kw = w.dim(3), s = opt.stride, p = opt.padding;
    const std::int64_t Ho = (H - 1) * s - 2 * p + kh + opt.output_padding,
                       Wo = (W - 1) * s - 2 * p + kw + opt.output_padding;
    LATENT_CHECK(H >= 1 && W >= 1 && Ho >= 1 && Wo >= 1, shape_error, "conv_transpose2d: input ", x.shape(),
                 " with weight ", w.shape(), ", stride ", s, ", padding ", p, " and output_padding ",
                 opt.output_padding, " gives a non-positive output size ", Ho, "x", Wo);
    // The geometry of the conv2d this op is the adjoint of: its input is our output y, its positions our pixels.
    const detail::conv_geometry g{O, Ho, Wo, H, W, kh, kw, s, p};
    const std::int64_t K = g.patch(), L = g.positions();
    const std::int64_t chunk = detail::conv_chunk(N, K, L, sizeof(T));
    using detail::to_size;

    tensor<T, B> y(shape{N, O, Ho, Wo});
    {
        tensor<T, B> cols(shape{K, chunk * L});
        tensor<T, B> xm = chunk > 1 ? tensor<T, B>(shape{C, chunk * L}) : tensor<T, B>();
        for (std::int64_t n0 = 0; n0 < N; n0 += chunk) {
            const std::int64_t m = N - n0 < chunk ? N - n0 : chunk;
            const T* xc = detail::as_matrix<T, B>(x.value().data() + n0 * C * L, xm.data(), C, m, L);
            gemm(B{}, true, false, to_size(K), to_size(m * L), to_size(C), T(1), w.value().data(), to_size(K), xc,
                 to_size(m * L), T(0), cols.data(), to_size(m * L));
            detail::run_col2im<T, B>(cols.data(), y.data() + n0 * g.pixels(), g, m);
        }
    }
    if (b.value().defined())
        launch_coarse(B{}, to_size(N * O), kernels::add_channel_bias<T>{y.data(), b.value().data(), O, Ho * Wo});
    return record("conv_transpose2d", y, {&x, &w, &b},
                  [x = w.requires_grad() ? x.value() : tensor<T, B>(),
                   w = x.requires_grad() ? w.value() : tensor<T, B>(), g, N, C, O, chunk](tensor<T, B>& grad,
                                                                                          auto& inputs) {
                      const std::int64_t K = g.patch(), L = g.positions();
                      const bool need_x = inputs.needs(0), need_w = inputs.needs(1);
                      tensor<T, B> dx = need_x ? tensor<T, B>(shape{N, C, g.out_h, g.out_w}) : tensor<T, B>();
                      tensor<T, B> dw = need_w ? tensor<T, B>::zeros(shape{C, O, g.kh, g.kw}) : tensor<T, B>();
                      if (need_x || need_w) {
                          tensor<T, B> cols(shape{K, chunk * L});
                          tensor<T, B> xm = chunk > 1 ? tensor<T, B>(shape{C, chunk * L}) : tensor<T, B>();
                          for (std::int64_t n0 = 0; n0 < N; n0 += chunk) {
                              const std::int64_t m = N - n0 < chunk ? N - n0 : chunk;
                              detail::run_im2col<T, B>(grad.data() + n0 * g.pixels(), cols.data(), g, m);
                              if (need_w) {  // dW += X·colsᵀ
                                  const T* xc = detail::as_matrix<T, B>(x.data() + n0 * C * L, xm.data(), C, m, L);
                                  gemm(B{}, false, true, to_size(C), to_size(K), to_size(m * L), T(1), xc,
                                       to_size(m * L), cols.data(), to_size(m * L), T(1), dw.data(), to_size(K));
                              }
                              if (need_x) {  // dX = W·cols, through xm (free again once dW is done)
                                  T* dxc = dx.data() + n0 * C * L;
                                  T* target = m == 1 ? dxc : xm.data();
                                  gemm(B{}, false, false, to_size(C), to_size(m * L), to_size(K), T(1), w.data(),
                                       to_size(K), cols.data(), to_size(m * L), T(0), target, to_size(m * L));
                                  if (m > 1)
                                      launch_coarse(B{}, to_size(m * C),
                                                    kernels::matrix_to_batch<T>{xm.data(), dxc, nullptr, C, m, L});
                              }
                          }
                      }
                      if (need_x) inputs.add(0, std::move(dx));
                      if (need_w) inputs.add(1, std::move(dw));
                      if (inputs.needs(2)) inputs.add(2, detail::channel_sums(grad, O));
                  });
}

/// conv_transpose2d without bias.
template <scalar T, backend B>
var<T, B> conv_transpose2d(const var<T, B>& x, const var<T, B>& w, conv_transpose2d_options opt = {}) {
    return conv_transpose2d(x, w, var<T, B>(), opt);
}

}  // namespace latent
