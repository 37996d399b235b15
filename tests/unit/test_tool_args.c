/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-image's command-line values and trailer geometry
 * (tools/bulwark-image/tool_args.c, image_trailer.c).  Versions and
 * numbers must be parsed exactly as imgtool accepts them and everything
 * else refused; the trailer must sit where imgtool puts it.
 */
#include <string.h>

#include "image_tool.h"
#include "testutil.h"

/* Every accepted form of imgtool's version syntax, with its fields. */
static void test_version_valid(void **state)
{
    static const struct {
        const char *s;
        unsigned major, minor, rev;
        unsigned long build;
    } ok[] = {
        {"0", 0, 0, 0, 0},
        {"1", 1, 0, 0, 0},
        {"1.2", 1, 2, 0, 0},
        {"1.2.3", 1, 2, 3, 0},
        {"1.2.3+45", 1, 2, 3, 45},
        {"0.9.0", 0, 9, 0, 0},
        {"255.255.65535+4294967295", 255, 255, 65535, 4294967295ul},
        {"10.0.100+0", 10, 0, 100, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        bw_image_version_t v;
        memset(&v, 0xa5, sizeof(v));
        assert_int_equal(tool_parse_version(ok[i].s, &v), 0);
        assert_int_equal(v.major, ok[i].major);
        assert_int_equal(v.minor, ok[i].minor);
        assert_int_equal(v.revision, ok[i].rev);
        assert_int_equal(v.build_num, ok[i].build);
    }
}

/*
 * Refused: empty parts, leading zeros, values past their field's width,
 * a build without a revision, extra parts, signs, spaces, letters.
 */
static void test_version_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "1.",
        "1..2",
        ".1",
        "01",
        "1.02",
        "1.2.03",
        "1.2.3+",
        "1.2.3+07",
        "256",
        "1.256",
        "1.2.65536",
        "1.2.3+4294967296",
        "1.2+3",
        "1+3",
        "1.2.3.4",
        "-1",
        " 1",
        "1 ",
        "a",
        "1.2.3-rc1",
        "0x1",
        "1.2.3++4",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bw_image_version_t v;
        if (tool_parse_version(bad[i], &v) != -1)
            fail_msg("version '%s' accepted", bad[i]);
    }
    bw_image_version_t v;
    assert_int_equal(tool_parse_version(NULL, &v), -1);
}

/* The version prints back with its build number, as dumpinfo shows it. */
static void test_version_format(void **state)
{
    bw_image_version_t v = {1, 2, 3, 45};
    char out[64];
    (void)state;
    tool_format_version(&v, out, sizeof(out));
    assert_string_equal(out, "1.2.3+45");
    v = (bw_image_version_t){255, 255, 65535, 4294967295u};
    tool_format_version(&v, out, sizeof(out));
    assert_string_equal(out, "255.255.65535+4294967295");
}

/*
 * imgtool's automatic security counter ignores the build number: the
 * vector ed25519-v1.2.3-auto-padded-confirmed.bin (1.2.3+45) holds
 * 0x01020003.
 */
static void test_sec_cnt_auto(void **state)
{
    bw_image_version_t v = {1, 2, 3, 45};
    (void)state;
    assert_int_equal(tool_sec_cnt_auto(&v), 0x01020003u);
    v = (bw_image_version_t){255, 255, 65535, 7};
    assert_int_equal(tool_sec_cnt_auto(&v), 0xffffffffu);
    v = (bw_image_version_t){0, 0, 0, 99};
    assert_int_equal(tool_sec_cnt_auto(&v), 0);
}

/* Numbers: decimal or 0x hex, bounded by max, nothing else. */
static void test_u32(void **state)
{
    uint32_t v = 0;
    (void)state;
    assert_int_equal(tool_parse_u32("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(tool_parse_u32("4294967295", UINT32_MAX, &v), 0);
    assert_int_equal(v, UINT32_MAX);
    assert_int_equal(tool_parse_u32("0xFFFFffff", UINT32_MAX, &v), 0);
    assert_int_equal(v, UINT32_MAX);
    assert_int_equal(tool_parse_u32("0X200", 0xffff, &v), 0);
    assert_int_equal(v, 0x200);
    assert_int_equal(tool_parse_u32("65535", 0xffff, &v), 0);
    assert_int_equal(v, 65535);

    v = 77;
    static const char *const bad[] = {"",    "0x",  "4294967296", "0x100000000",
                                      "-1",  "+1",  " 1",         "1 ",
                                      "12a", "0xg", "1e3",        "0b1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tool_parse_u32(bad[i], UINT32_MAX, &v) != -1)
            fail_msg("number '%s' accepted", bad[i]);
    }
    assert_int_equal(tool_parse_u32("65536", 0xffff, &v), -1);
    assert_int_equal(tool_parse_u32("0x10000", 0xffff, &v), -1);
    assert_int_equal(v, 77); /* untouched on failure */
}

/*
 * Trailer sizes by imgtool's formula: max_sectors * 3 * align, four
 * fields of max_align, the 16-byte magic rounded up to max_align.
 */
static void test_trailer_size(void **state)
{
    tool_trailer_geom_t g = {4, 8, 128};
    (void)state;
    assert_int_equal(tool_trailer_size(&g), 128 * 3 * 4 + 4 * 8 + 16);
    g = (tool_trailer_geom_t){1, 8, 128};
    assert_int_equal(tool_trailer_size(&g), 384 + 32 + 16);
    g = (tool_trailer_geom_t){32, 32, 128};
    assert_int_equal(tool_trailer_size(&g), 128 * 96 + 4 * 32 + 32);
    g = (tool_trailer_geom_t){16, 16, 2};
    assert_int_equal(tool_trailer_size(&g), 2 * 48 + 64 + 16);
}

/* The two magics, byte for byte (MCUboot's boot_magic and its aligned form). */
static void test_trailer_magic(void **state)
{
    uint8_t m[16], want[16];
    (void)state;
    tool_trailer_magic(8, m);
    bw_test_hex("77c295f3 60d2ef7f 3552500f 2cb67980", want, sizeof(want));
    assert_memory_equal(m, want, 16);
    tool_trailer_magic(16, m);
    bw_test_hex("1000 2de15d29410b8d77679c110f1f8a", want, sizeof(want));
    assert_memory_equal(m, want, 16);
    tool_trailer_magic(32, m);
    bw_test_hex("2000 2de15d29410b8d77679c110f1f8a", want, sizeof(want));
    assert_memory_equal(m, want, 16);
}

/*
 * Write a trailer into an erased slot and read it back, for each field
 * size: only the magic and (when confirmed) image_ok change, image_ok at
 * align_up(16, F) + F from the end.
 */
static void test_trailer_roundtrip(void **state)
{
    static const uint32_t fields[] = {8, 16, 32};
    uint8_t slot[4096];
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        for (int confirm = 0; confirm <= 1; confirm++) {
            tool_trailer_geom_t g = {fields[i], fields[i], 4};
            tool_trailer_t t;
            memset(slot, 0xff, sizeof(slot));
            tool_trailer_write(&g, slot, sizeof(slot), confirm);
            size_t ok_at =
                sizeof(slot) - (fields[i] == 8 ? 16 : fields[i]) - fields[i];
            assert_int_equal(slot[ok_at], confirm ? 0x01 : 0xff);
            size_t changed = 0;
            for (size_t k = 0; k < sizeof(slot) - 16; k++)
                changed += slot[k] != 0xff;
            assert_int_equal(changed, confirm ? 1 : 0);

            tool_trailer_read(slot, sizeof(slot), 100, 0xff, &t);
            assert_int_equal(t.present, 1);
            assert_int_equal(t.magic_state, TOOL_MAGIC_GOOD);
            assert_int_equal(t.max_align, fields[i]);
            assert_int_equal(t.image_ok, confirm ? 0x01 : 0xff);
            assert_int_equal(t.copy_done, 0xff);
            assert_int_equal(t.swap_info, 0xff);
            assert_int_equal(t.swap_size, 0xffffffffu);
        }
    }
}

/* An erased or foreign magic is told apart; too little room is absent. */
static void test_trailer_read_states(void **state)
{
    uint8_t slot[256];
    tool_trailer_t t;
    (void)state;
    memset(slot, 0xff, sizeof(slot));
    tool_trailer_read(slot, sizeof(slot), 0, 0xff, &t);
    assert_int_equal(t.magic_state, TOOL_MAGIC_UNSET);
    assert_int_equal(t.present, 1);
    slot[sizeof(slot) - 1] = 0x00;
    tool_trailer_read(slot, sizeof(slot), 0, 0xff, &t);
    assert_int_equal(t.magic_state, TOOL_MAGIC_BAD);
    /* Nothing after the image: no trailer at all. */
    tool_trailer_read(slot, sizeof(slot), sizeof(slot), 0xff, &t);
    assert_int_equal(t.present, 0);
    /* 16 + 3 * 8 + 8 = 48 bytes are needed for the fields: 47 is short. */
    tool_trailer_read(slot, sizeof(slot), sizeof(slot) - 47, 0xff, &t);
    assert_int_equal(t.present, 0);
    tool_trailer_read(slot, sizeof(slot), sizeof(slot) - 48, 0xff, &t);
    assert_int_equal(t.present, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_valid),
        cmocka_unit_test(test_version_invalid),
        cmocka_unit_test(test_version_format),
        cmocka_unit_test(test_sec_cnt_auto),
        cmocka_unit_test(test_u32),
        cmocka_unit_test(test_trailer_size),
        cmocka_unit_test(test_trailer_magic),
        cmocka_unit_test(test_trailer_roundtrip),
        cmocka_unit_test(test_trailer_read_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
