/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz SenML CBOR decoding and the encode/decode round trip through both
 * formats.  The harness is shared with the JSON target; see
 * fuzz_lwm2m_senml_json.c.
 */
#define FUZZ_SENML_CBOR 1
#include "fuzz_lwm2m_senml_json.c"
