#include "format/encode.h"

#include <string.h>

/* The loops below are written once for every element width and must be
 * specialised per width to run at memory speed. */
#define ALWAYS_INLINE __attribute__((always_inline))

/* GCC vectorises at -O2 only loops that need no cost model; these byte
 * plane loops are the hot path of checkpointing and gain about 2x. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

/* The stream is little-endian and tensors are stored as they sit in
 * memory, so a big-endian host would need byte swaps everywhere. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "traj assumes a little-endian host"
#endif

int stream_encoding_needs_ref(enum traj_encoding enc)
{
	return enc == TRAJ_ENC_XOR || enc == TRAJ_ENC_PRED2 ||
	       enc == TRAJ_ENC_DELTA;
}

static int dtype_is_float(enum traj_dtype dtype)
{
	return dtype == TRAJ_F32 || dtype == TRAJ_F64 || dtype == TRAJ_F16 ||
	       dtype == TRAJ_BF16;
}

static inline ALWAYS_INLINE uint64_t load(const uint8_t *p, size_t w)
{
	uint64_t v = 0;
	memcpy(&v, p, w);
	return v;
}

static inline ALWAYS_INLINE uint64_t width_mask(size_t w)
{
	return w == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * w)) - 1;
}

/* Maps float bits to an unsigned integer with the same order as the
 * values (negative floats reversed below the positive ones), so that
 * nearby values are nearby integers and extrapolation in the integer
 * domain is exact and portable: positive x -> x | sign, negative -> ~x.
 * Integers are used as they are. Branch-free so the loops vectorise. */
static inline ALWAYS_INLINE uint64_t to_ord(uint64_t u, size_t w, int is_float)
{
	uint64_t sign = (uint64_t)1 << (8 * w - 1);
	uint64_t neg = 0 - ((u >> (8 * w - 1)) & 1);
	return is_float ? (u ^ (neg | sign)) & width_mask(w) : u;
}

static inline ALWAYS_INLINE uint64_t from_ord(uint64_t o, size_t w, int is_float)
{
	uint64_t sign = (uint64_t)1 << (8 * w - 1);
	uint64_t pos = 0 - ((o >> (8 * w - 1)) & 1);
	return is_float ? (o ^ (~pos | sign)) & width_mask(w) : o;
}

/* Signed w-byte residual to unsigned: 0, -1, 1, -2, ... -> 0, 1, 2, 3,
 * so small residuals of either sign have zero high bytes. */
static inline ALWAYS_INLINE uint64_t zigzag(uint64_t r, size_t w)
{
	uint64_t neg = (r >> (8 * w - 1)) & 1;
	return ((r << 1) ^ (0 - neg)) & width_mask(w);
}

static inline ALWAYS_INLINE uint64_t unzigzag(uint64_t z, size_t w)
{
	return ((z >> 1) ^ (0 - (z & 1))) & width_mask(w);
}

/* Elements are transformed a block at a time into a small buffer, then
 * scattered to the byte planes: two simple loops the compiler vectorises. */
enum { BLOCK = 1024 };

/* A block of transformed elements: 32-bit lanes for widths up to 4 bytes
 * (twice as many per vector register as 64-bit ones). */
union zblock {
	uint32_t u32[BLOCK];
	uint64_t u64[BLOCK];
};

static inline ALWAYS_INLINE uint64_t zget(const union zblock *restrict z,
					  size_t i, size_t w)
{
	return w <= 4 ? z->u32[i] : z->u64[i];
}

static inline ALWAYS_INLINE void zset(union zblock *restrict z, size_t i,
				      size_t w, uint64_t v)
{
	if (w <= 4)
		z->u32[i] = (uint32_t)v;
	else
		z->u64[i] = v;
}

/* Prediction of element i in the ord domain, modulo 2^(8w): linear
 * extrapolation 2*x1 - x0, or x1 when there is no x0. */
static inline ALWAYS_INLINE uint64_t predict(size_t i, size_t w, int is_float,
			       const uint8_t *r1, const uint8_t *r0)
{
	uint64_t o1 = to_ord(load(r1 + i * w, w), w, is_float);
	if (!r0)
		return o1;
	return 2 * o1 - to_ord(load(r0 + i * w, w), w, is_float);
}

/* pred2 on f32, the common case, in 32-bit arithmetic: the same result
 * as the generic code, but in a loop the compiler vectorises. */
static inline uint32_t ord32(uint32_t u)
{
	return u ^ ((uint32_t)(0 - (u >> 31)) | 0x80000000u);
}

static void pred2_f32_block(size_t m, const uint8_t *restrict cur,
			    const uint8_t *restrict r1,
			    const uint8_t *restrict r0, uint32_t *restrict z)
{
	for (size_t i = 0; i < m; i++) {
		uint32_t u, a, b;
		memcpy(&u, cur + 4 * i, 4);
		memcpy(&a, r1 + 4 * i, 4);
		memcpy(&b, r0 + 4 * i, 4);
		uint32_t r = ord32(u) - (2 * ord32(a) - ord32(b));
		z[i] = (r << 1) ^ (0 - (r >> 31));
	}
}

/* Always inlined with a constant `w` so each width gets its own loops. */
static inline ALWAYS_INLINE void forward_block(enum traj_encoding enc, size_t w, int is_float,
				 size_t m, const uint8_t *restrict cur,
				 const uint8_t *restrict r1,
				 const uint8_t *restrict r0, union zblock *restrict z)
{
	uint64_t mask = width_mask(w);
	if (enc == TRAJ_ENC_XOR) {
		for (size_t i = 0; i < m; i++)
			zset(z, i, w, load(cur + i * w, w) ^ load(r1 + i * w, w));
	} else if (enc == TRAJ_ENC_PRED2 && r0 && w == 4 && is_float) {
		pred2_f32_block(m, cur, r1, r0, z->u32);
	} else if (enc == TRAJ_ENC_PRED2 && r0) {
		for (size_t i = 0; i < m; i++) {
			uint64_t o = to_ord(load(cur + i * w, w), w, is_float);
			zset(z, i, w, zigzag((o - predict(i, w, is_float, r1, r0)) & mask, w));
		}
	} else if (enc == TRAJ_ENC_PRED2) {
		for (size_t i = 0; i < m; i++) {
			uint64_t o = to_ord(load(cur + i * w, w), w, is_float);
			zset(z, i, w, zigzag((o - predict(i, w, is_float, r1, NULL)) & mask, w));
		}
	} else {
		for (size_t i = 0; i < m; i++)
			zset(z, i, w, load(cur + i * w, w));
	}
}

static inline ALWAYS_INLINE void inverse_block(enum traj_encoding enc, size_t w, int is_float,
				 size_t m, const union zblock *restrict z,
				 const uint8_t *restrict r1,
				 const uint8_t *restrict r0, uint8_t *restrict out)
{
	uint64_t mask = width_mask(w);
	for (size_t i = 0; i < m; i++) {
		uint64_t u = zget(z, i, w);
		if (enc == TRAJ_ENC_XOR) {
			u ^= load(r1 + i * w, w);
		} else if (enc == TRAJ_ENC_PRED2) {
			uint64_t p = predict(i, w, is_float, r1, r0);
			u = from_ord((unzigzag(u, w) + p) & mask, w, is_float);
		}
		memcpy(out + i * w, &u, w);
	}
}

static const uint8_t *offset_or_null(const uint8_t *p, size_t off)
{
	return p ? p + off : NULL;
}

static inline ALWAYS_INLINE void encode_width(enum traj_encoding enc, size_t w, int is_float,
				size_t n, const uint8_t *cur, const uint8_t *r1,
				const uint8_t *r0, uint8_t *restrict out)
{
	union zblock z;
	for (size_t b = 0; b < n; b += BLOCK) {
		size_t m = n - b < BLOCK ? n - b : BLOCK;
		forward_block(enc, w, is_float, m, cur + b * w,
			      offset_or_null(r1, b * w),
			      offset_or_null(r0, b * w), &z);
		for (size_t k = 0; k < w; k++) {
			uint8_t *restrict plane = out + k * n + b;
			for (size_t i = 0; i < m; i++)
				plane[i] = (uint8_t)(zget(&z, i, w) >> (8 * k));
		}
	}
}

static inline ALWAYS_INLINE void decode_width(enum traj_encoding enc, size_t w, int is_float,
				size_t n, const uint8_t *in, const uint8_t *r1,
				const uint8_t *r0, uint8_t *restrict out)
{
	union zblock z;
	for (size_t b = 0; b < n; b += BLOCK) {
		size_t m = n - b < BLOCK ? n - b : BLOCK;
		for (size_t i = 0; i < m; i++)
			zset(&z, i, w, in[b + i]);
		for (size_t k = 1; k < w; k++) {
			const uint8_t *restrict plane = in + k * n + b;
			for (size_t i = 0; i < m; i++)
				zset(&z, i, w, zget(&z, i, w) |
					       (uint64_t)plane[i] << (8 * k));
		}
		inverse_block(enc, w, is_float, m, &z, offset_or_null(r1, b * w),
			      offset_or_null(r0, b * w), out + b * w);
	}
}

void stream_encode_elements(enum traj_encoding enc, enum traj_dtype dtype, size_t n,
		     const void *cur, const void *ref1, const void *ref0,
		     void *out)
{
	size_t w = dtype_size(dtype);
	int f = dtype_is_float(dtype);
	if (enc == TRAJ_ENC_RAW) {
		memcpy(out, cur, n * w);
		return;
	}
	/* delta is pred2 without the older reference */
	if (enc == TRAJ_ENC_DELTA)
		enc = TRAJ_ENC_PRED2;
	else if (enc != TRAJ_ENC_PRED2)
		ref0 = NULL;
	switch (w) {
	case 1: encode_width(enc, 1, f, n, cur, ref1, ref0, out); break;
	case 2: encode_width(enc, 2, f, n, cur, ref1, ref0, out); break;
	case 4: encode_width(enc, 4, f, n, cur, ref1, ref0, out); break;
	case 8: encode_width(enc, 8, f, n, cur, ref1, ref0, out); break;
	}
}

void stream_decode_elements(enum traj_encoding enc, enum traj_dtype dtype, size_t n,
		     const void *in, const void *ref1, const void *ref0,
		     void *out)
{
	size_t w = dtype_size(dtype);
	int f = dtype_is_float(dtype);
	if (enc == TRAJ_ENC_RAW) {
		memcpy(out, in, n * w);
		return;
	}
	if (enc == TRAJ_ENC_DELTA)
		enc = TRAJ_ENC_PRED2;
	else if (enc != TRAJ_ENC_PRED2)
		ref0 = NULL;
	switch (w) {
	case 1: decode_width(enc, 1, f, n, in, ref1, ref0, out); break;
	case 2: decode_width(enc, 2, f, n, in, ref1, ref0, out); break;
	case 4: decode_width(enc, 4, f, n, in, ref1, ref0, out); break;
	case 8: decode_width(enc, 8, f, n, in, ref1, ref0, out); break;
	}
}

/* Significant bits of a zigzagged residual: what the byte planes and
 * zstd pay for, roughly. */
static unsigned residual_bits(uint64_t z)
{
	return z ? 64 - (unsigned)__builtin_clzll(z) : 0;
}

/* Sampling every SAMPLE_STRIDE-th element costs about 1% of encoding
 * and decides the same way as the whole tensor on real trajectories. */
enum { SAMPLE_STRIDE = 61 };

int stream_pred2_beats_delta(enum traj_dtype dtype, size_t n, const void *cur,
		      const void *ref1, const void *ref0)
{
	size_t w = dtype_size(dtype);
	int f = dtype_is_float(dtype);
	uint64_t mask = width_mask(w), pred2_bits = 0, delta_bits = 0;
	const uint8_t *c = cur, *r1 = ref1, *r0 = ref0;
	for (size_t i = 0; i < n; i += SAMPLE_STRIDE) {
		uint64_t o = to_ord(load(c + i * w, w), w, f);
		uint64_t p2 = predict(i, w, f, r1, r0), p1 = predict(i, w, f, r1, NULL);
		pred2_bits += residual_bits(zigzag((o - p2) & mask, w));
		delta_bits += residual_bits(zigzag((o - p1) & mask, w));
	}
	return pred2_bits <= delta_bits;
}

static const char *const encoding_names[TRAJ_NENCODINGS] = {
	[TRAJ_ENC_RAW] = "raw", [TRAJ_ENC_SHUFFLE] = "shuffle",
	[TRAJ_ENC_XOR] = "xor", [TRAJ_ENC_PRED2] = "pred2",
	[TRAJ_ENC_DELTA] = "delta",
};

const char *stream_encoding_name(enum traj_encoding enc)
{
	if ((unsigned)enc >= TRAJ_NENCODINGS)
		return NULL;
	return encoding_names[enc];
}

int stream_encoding_from_name(const char *name, enum traj_encoding *out)
{
	for (int i = 0; i < TRAJ_NENCODINGS; i++) {
		if (strcmp(name, encoding_names[i]) == 0) {
			*out = (enum traj_encoding)i;
			return 0;
		}
	}
	return -1;
}
