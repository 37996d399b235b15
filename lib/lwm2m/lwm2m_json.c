/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded pull tokenizer for JSON (RFC 8259), used by SenML JSON.
 *
 * The grammar is checked by a small state machine kept in the context
 * (what may come next) plus a stack of container kinds, one bit per level.
 * Each call consumes exactly one token and leaves the cursor after it, so
 * the caller can decode a record and stream it on before reading further.
 *
 *   state        may come next                        after it
 *   TOP          a value                              DONE (scalar)
 *   ARR_FIRST    a value or ']'                       ARR_NEXT
 *   ARR_VALUE    a value (after ',')                  ARR_NEXT
 *   ARR_NEXT     ',' -> ARR_VALUE, or ']'             parent's NEXT
 *   OBJ_FIRST    a key or '}'                         OBJ_VALUE (':' eaten)
 *   OBJ_KEY      a key (after ',')                    OBJ_VALUE
 *   OBJ_VALUE    a value                              OBJ_NEXT
 *   OBJ_NEXT     ',' -> OBJ_KEY, or '}'               parent's NEXT
 *   DONE         whitespace only, then END
 *
 * Number conversion (exact decimal to double and back) lives in
 * lwm2m_number.c, shared with text/plain; this file only checks the
 * number grammar and collects the significant digits.
 */
#include "lwm2m_json.h"

#include <string.h>

#include "bw_mem.h"
#include "bw_utf8.h"
#include "lwm2m_int.h"

_Static_assert(BW_LWM2M_JSON_MAX_DIGITS <= BW_LWM2M__DEC_MAX_DIGITS,
               "the shared conversion takes every digit kept here");

enum {
    S_TOP = 0,
    S_ARR_FIRST,
    S_ARR_VALUE,
    S_ARR_NEXT,
    S_OBJ_FIRST,
    S_OBJ_KEY,
    S_OBJ_VALUE,
    S_OBJ_NEXT,
    S_DONE,
};

void bw_lwm2m__json_init(bw_lwm2m_json_t *js, const uint8_t *buf, size_t len)
{
    bw__zero(js, sizeof(*js));
    js->buf = buf;
    js->len = len;
    js->expect = S_TOP;
}

static int fail(bw_lwm2m_json_t *js, int err)
{
    js->err = err;
    return err;
}

static void skip_ws(bw_lwm2m_json_t *js)
{
    while (js->pos < js->len) {
        uint8_t c = js->buf[js->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        js->pos++;
    }
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Four hex digits at s[0..4) (avail bytes available).  Returns the value,
 * -1 when the input ends first, -2 on a non-hex digit.
 */
static int32_t hex4(const uint8_t *s, size_t avail)
{
    int32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        if (i >= avail)
            return -1;
        int h = hexval(s[i]);
        if (h < 0)
            return -2;
        v = (v << 4) | h;
    }
    return v;
}

/*
 * The UTF-8 sequence at s (avail bytes): its length and code point, 0 when
 * the input ends inside it, -1 when it is invalid.  The check is the
 * common one of lib/utf8.c.
 */
static int utf8_seq(const uint8_t *s, size_t avail, int32_t *cp)
{
    uint32_t v = 0;
    int n = bw__utf8_next(s, avail, &v);
    if (n < 0)
        return -1;
    *cp = (int32_t)v;
    return n;
}

/*
 * One escape sequence at s (s[0] == '\\').  Returns its length and the
 * code point, 0 when truncated, -1 malformed, -2 unpaired surrogate.
 */
static int escape_seq(const uint8_t *s, size_t avail, int32_t *cp)
{
    if (avail < 2)
        return 0;
    switch (s[1]) {
    case '"':
    case '\\':
    case '/':
        *cp = s[1];
        return 2;
    case 'b':
        *cp = 0x08;
        return 2;
    case 'f':
        *cp = 0x0c;
        return 2;
    case 'n':
        *cp = 0x0a;
        return 2;
    case 'r':
        *cp = 0x0d;
        return 2;
    case 't':
        *cp = 0x09;
        return 2;
    case 'u':
        break;
    default:
        return -1;
    }
    int32_t hi = hex4(s + 2, avail - 2);
    if (hi < 0)
        return hi == -1 ? 0 : -1;
    if (hi >= 0xdc00 && hi <= 0xdfff)
        return -2; /* a low surrogate with no high one before it */
    if (hi < 0xd800 || hi > 0xdbff) {
        *cp = hi;
        return 6;
    }
    /* A high surrogate must be followed at once by "\u" + low surrogate. */
    if (avail < 8)
        return avail == 6 || (avail == 7 && s[6] == '\\') ? 0 : -2;
    if (s[6] != '\\' || s[7] != 'u')
        return -2;
    int32_t lo = hex4(s + 8, avail - 8);
    if (lo == -1)
        return 0;
    if (lo == -2)
        return -1;
    if (lo < 0xdc00 || lo > 0xdfff)
        return -2;
    *cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    return 12;
}

/* String starting after the opening quote at js->pos. */
static int scan_string(bw_lwm2m_json_t *js, bw_lwm2m_json_tok_t *tok)
{
    const uint8_t *b = js->buf;
    size_t i = js->pos;
    tok->str = b + i;
    tok->escaped = false;
    for (;;) {
        if (i >= js->len)
            return fail(js, BW_ETRUNC);
        uint8_t c = b[i];
        int32_t cp;
        int n;
        if (c == '"') {
            tok->str_len = (size_t)(b + i - tok->str);
            js->pos = i + 1;
            return 0;
        } else if (c == '\\') {
            tok->escaped = true;
            n = escape_seq(b + i, js->len - i, &cp);
            if (n == -2)
                return fail(js, BW_EUTF8);
        } else if (c < 0x20) {
            return fail(js, BW_EMALFORMED);
        } else {
            n = utf8_seq(b + i, js->len - i, &cp);
            if (n == -1)
                return fail(js, BW_EUTF8);
        }
        if (n == 0)
            return fail(js, BW_ETRUNC);
        if (n < 0)
            return fail(js, BW_EMALFORMED);
        i += (size_t)n;
    }
}

int32_t bw_lwm2m__json_cp_next(const uint8_t *raw, size_t len, size_t *pos)
{
    int32_t cp = -1;
    int n;
    if (*pos >= len)
        return -1;
    if (raw[*pos] == '\\')
        n = escape_seq(raw + *pos, len - *pos, &cp);
    else
        n = utf8_seq(raw + *pos, len - *pos, &cp);
    if (n <= 0)
        return -1;
    *pos += (size_t)n;
    return cp;
}

static size_t utf8_put(int32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

int bw_lwm2m__json_unescape(const bw_lwm2m_json_tok_t *tok, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    size_t pos = 0, n = 0;
    *out_len = 0;
    while (pos < tok->str_len) {
        int32_t cp = bw_lwm2m__json_cp_next(tok->str, tok->str_len, &pos);
        if (cp < 0)
            return BW_EMALFORMED;
        uint8_t enc[4];
        size_t k = utf8_put(cp, enc);
        if (k > cap - n)
            return BW_ENOSPC;
        bw__copy(out + n, enc, k);
        n += k;
    }
    *out_len = n;
    return 0;
}

bool bw_lwm2m__json_str_eq(const bw_lwm2m_json_tok_t *tok, const char *lit)
{
    size_t pos = 0, i = 0;
    if (!tok->escaped)
        return tok->str_len == strlen(lit) &&
               bw__equal(tok->str, lit, tok->str_len);
    while (pos < tok->str_len) {
        int32_t cp = bw_lwm2m__json_cp_next(tok->str, tok->str_len, &pos);
        if (cp < 0 || lit[i] == '\0' || cp != (uint8_t)lit[i])
            return false;
        i++;
    }
    return lit[i] == '\0';
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/*
 * Number at js->pos.  Grammar (RFC 8259 section 6):
 *   [ '-' ] ( '0' | [1-9][0-9]* ) [ '.' [0-9]+ ] [ ('e'|'E') [+-] [0-9]+ ]
 * Input ending where the grammar needs more is BW_ETRUNC; any other byte
 * there is BW_EMALFORMED.
 */
static int scan_number(bw_lwm2m_json_t *js, bw_lwm2m_json_tok_t *tok)
{
    const uint8_t *b = js->buf;
    size_t i = js->pos, start = js->pos, len = js->len;
    bool neg = false, integral = true;
    uint8_t sig[BW_LWM2M_JSON_MAX_DIGITS];
    size_t nsig = 0, zeros = 0; /* zeros seen after the last nonzero */
    int32_t frac_digits = 0, exp_val = 0;

    if (b[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= len)
        return fail(js, BW_ETRUNC);
    if (!is_digit(b[i]))
        return fail(js, BW_EMALFORMED);
    size_t int_start = i;
    if (b[i] == '0') {
        i++;
        if (i < len && is_digit(b[i]))
            return fail(js, BW_EMALFORMED); /* leading zero */
    } else {
        while (i < len && is_digit(b[i]))
            i++;
    }
    size_t int_end = i;
    size_t frac_start = i, frac_end = i;
    if (i < len && b[i] == '.') {
        integral = false;
        i++;
        frac_start = i;
        if (i >= len)
            return fail(js, BW_ETRUNC);
        if (!is_digit(b[i]))
            return fail(js, BW_EMALFORMED);
        while (i < len && is_digit(b[i]))
            i++;
        frac_end = i;
    }
    if (i < len && (b[i] == 'e' || b[i] == 'E')) {
        bool eneg = false;
        integral = false;
        i++;
        if (i < len && (b[i] == '+' || b[i] == '-'))
            eneg = b[i++] == '-';
        if (i >= len)
            return fail(js, BW_ETRUNC);
        if (!is_digit(b[i]))
            return fail(js, BW_EMALFORMED);
        while (i < len && is_digit(b[i])) {
            /* Saturate: far beyond any double exponent already. */
            if (exp_val < 100000)
                exp_val = exp_val * 10 + (b[i] - '0');
            i++;
        }
        if (eneg)
            exp_val = -exp_val;
    }
    if (i - start > BW_LWM2M_JSON_MAX_NUMBER_LEN)
        return fail(js, BW_ERANGE);
    js->pos = i;
    tok->type = BW_LWM2M_JSON_NUMBER;

    /* Integers in the 64-bit ranges stay exact. */
    if (integral) {
        uint64_t u = 0;
        bool fits = true;
        for (size_t k = int_start; k < int_end; k++) {
            unsigned d = (unsigned)(b[k] - '0');
            if (u > (UINT64_MAX - d) / 10) {
                fits = false;
                break;
            }
            u = u * 10 + d;
        }
        tok->integral = true;
        if (fits && !neg && u > (uint64_t)INT64_MAX) {
            tok->num_kind = BW_LWM2M_JSON_UINT;
            tok->u = u;
            tok->d = (double)u;
            return 0;
        }
        if (fits && (!neg || u <= (uint64_t)INT64_MAX + 1)) {
            tok->num_kind = BW_LWM2M_JSON_INT;
            tok->i = neg ? (u == 0 ? 0 : -(int64_t)(u - 1) - 1) : (int64_t)u;
            tok->d = (double)tok->i;
            return 0;
        }
    }

    /* Collect significant digits: drop leading zeros, defer trailing. */
    frac_digits = (int32_t)(frac_end - frac_start);
    for (int part = 0; part < 2; part++) {
        size_t from = part == 0 ? int_start : frac_start;
        size_t to = part == 0 ? int_end : frac_end;
        for (size_t k = from; k < to; k++) {
            if (b[k] == '0') {
                if (nsig > 0)
                    zeros++;
                continue;
            }
            if (nsig + zeros + 1 > BW_LWM2M_JSON_MAX_DIGITS)
                return fail(js, BW_ERANGE);
            while (zeros > 0) {
                sig[nsig++] = '0';
                zeros--;
            }
            sig[nsig++] = b[k];
        }
    }
    tok->num_kind = BW_LWM2M_JSON_FLOAT;
    tok->integral = nsig == 0 || exp_val - frac_digits + (int32_t)zeros >= 0;
    if (nsig == 0) {
        tok->d = neg ? -0.0 : 0.0;
        return 0;
    }
    int32_t e10 = exp_val - frac_digits + (int32_t)zeros;
    double d;
    int err = bw_lwm2m__dec_to_double(sig, nsig, e10, &d);
    if (err)
        return fail(js, err);
    tok->d = neg ? -d : d;
    return 0;
}

/* A literal (true/false/null) at js->pos. */
static int scan_literal(bw_lwm2m_json_t *js, const char *lit, uint8_t type,
                        bw_lwm2m_json_tok_t *tok)
{
    size_t n = strlen(lit);
    for (size_t k = 0; k < n; k++) {
        if (js->pos + k >= js->len)
            return fail(js, BW_ETRUNC);
        if (js->buf[js->pos + k] != (uint8_t)lit[k])
            return fail(js, BW_EMALFORMED);
    }
    js->pos += n;
    tok->type = type;
    return 0;
}

/* A value has just been completed: decide what may follow. */
static void after_value(bw_lwm2m_json_t *js)
{
    if (js->depth == 0)
        js->expect = S_DONE;
    else if (js->stack & (1u << (js->depth - 1)))
        js->expect = S_OBJ_NEXT;
    else
        js->expect = S_ARR_NEXT;
}

static int push(bw_lwm2m_json_t *js, bool object)
{
    if (js->depth >= BW_LWM2M_JSON_MAX_DEPTH)
        return fail(js, BW_EDEPTH);
    if (object)
        js->stack |= 1u << js->depth;
    else
        js->stack &= ~(1u << js->depth);
    js->depth++;
    js->expect = object ? S_OBJ_FIRST : S_ARR_FIRST;
    return 0;
}

static int pop(bw_lwm2m_json_t *js, bw_lwm2m_json_tok_t *tok, uint8_t type)
{
    js->pos++;
    js->depth--;
    tok->type = type;
    after_value(js);
    return 0;
}

static int scan_value(bw_lwm2m_json_t *js, bw_lwm2m_json_tok_t *tok)
{
    uint8_t c = js->buf[js->pos];
    int err;
    switch (c) {
    case '{':
    case '[':
        if ((err = push(js, c == '{')) != 0)
            return err;
        js->pos++;
        tok->type = c == '{' ? BW_LWM2M_JSON_OBJECT : BW_LWM2M_JSON_ARRAY;
        return 0; /* expect set by push */
    case '"':
        js->pos++;
        if ((err = scan_string(js, tok)) != 0)
            return err;
        tok->type = BW_LWM2M_JSON_STRING;
        break;
    case 't':
        err = scan_literal(js, "true", BW_LWM2M_JSON_TRUE, tok);
        break;
    case 'f':
        err = scan_literal(js, "false", BW_LWM2M_JSON_FALSE, tok);
        break;
    case 'n':
        err = scan_literal(js, "null", BW_LWM2M_JSON_NULL, tok);
        break;
    default:
        if (c != '-' && !is_digit(c))
            return fail(js, BW_EMALFORMED);
        err = scan_number(js, tok);
        break;
    }
    if (err)
        return err;
    after_value(js);
    return 0;
}

int bw_lwm2m__json_next(bw_lwm2m_json_t *js, bw_lwm2m_json_tok_t *tok)
{
    bw__zero(tok, sizeof(*tok));
    if (js->err)
        return js->err;
    for (;;) {
        skip_ws(js);
        tok->offset = js->pos;
        if (js->expect == S_DONE) {
            if (js->pos < js->len)
                return fail(js, BW_ETRAILING);
            tok->type = BW_LWM2M_JSON_END;
            return 0;
        }
        if (js->pos >= js->len)
            return fail(js, BW_ETRUNC);
        uint8_t c = js->buf[js->pos];
        switch (js->expect) {
        case S_ARR_NEXT:
        case S_OBJ_NEXT: {
            bool obj = js->expect == S_OBJ_NEXT;
            if (c == ',') {
                js->pos++;
                js->expect = obj ? S_OBJ_KEY : S_ARR_VALUE;
                continue;
            }
            if (c == (obj ? '}' : ']'))
                return pop(js, tok,
                           obj ? BW_LWM2M_JSON_OBJECT_END
                               : BW_LWM2M_JSON_ARRAY_END);
            return fail(js, BW_EMALFORMED);
        }
        case S_OBJ_FIRST:
        case S_OBJ_KEY: {
            if (c == '}' && js->expect == S_OBJ_FIRST)
                return pop(js, tok, BW_LWM2M_JSON_OBJECT_END);
            if (c != '"')
                return fail(js, BW_EMALFORMED);
            js->pos++;
            int err = scan_string(js, tok);
            if (err)
                return err;
            tok->type = BW_LWM2M_JSON_KEY;
            skip_ws(js);
            if (js->pos >= js->len)
                return fail(js, BW_ETRUNC);
            if (js->buf[js->pos] != ':')
                return fail(js, BW_EMALFORMED);
            js->pos++;
            js->expect = S_OBJ_VALUE;
            return 0;
        }
        case S_ARR_FIRST:
            if (c == ']')
                return pop(js, tok, BW_LWM2M_JSON_ARRAY_END);
            return scan_value(js, tok);
        default: /* S_TOP, S_ARR_VALUE, S_OBJ_VALUE */
            return scan_value(js, tok);
        }
    }
}

int bw_lwm2m__json_skip(bw_lwm2m_json_t *js, const bw_lwm2m_json_tok_t *tok)
{
    if (tok->type != BW_LWM2M_JSON_OBJECT && tok->type != BW_LWM2M_JSON_ARRAY)
        return js->err;
    uint8_t target = js->depth; /* depth of the container just opened */
    bw_lwm2m_json_tok_t t;
    for (;;) {
        int err = bw_lwm2m__json_next(js, &t);
        if (err)
            return err;
        if ((t.type == BW_LWM2M_JSON_OBJECT_END ||
             t.type == BW_LWM2M_JSON_ARRAY_END) &&
            js->depth == target - 1)
            return 0;
    }
}
